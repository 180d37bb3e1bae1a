"""The grammar: random, plausible QEMU 7.2 command lines and the images
they name, from one random.Random.

generate(rng) returns a Case (runner.py): setup steps that build images
with qemu-img in the case directory ($D), and the qemu-system arguments
that use them. The forms follow QEMU 7.2's own parsers: QemuOpts for
-drive (",," is a comma, short booleans "snapshot"/"nosnapshot", the last
of a repeated key wins), keyval for dotted -blockdev, JSON, json: file
names, backing names resolved against the overlay's directory, protocol
prefixes honoured only on a top-level filename without a driver.

Each feature a case uses is recorded as a tag, so that a finding can be
matched with a known bug of the same feature (cases.txt "known" lines).
"""
import json

from runner import Case

SIZE = "1M"
BOOL_ON = ("on", "yes", "true")
BOOL_OFF = ("off", "no", "false")
# Formats that name a backing file in their header, and what may lie below.
BACKED = ("qcow2", "qcow2", "qcow2", "qed", "vmdk", "qcow")
PLAIN = ("raw", "raw", "qcow2", "qed", "vmdk", "vdi", "vpc", "vhdx",
         "parallels")
EXT = {"raw": "img", "qcow2": "qcow2", "qed": "qed", "vmdk": "vmdk",
       "qcow": "qcow", "vdi": "vdi", "vpc": "vpc", "vhdx": "vhdx",
       "parallels": "hds"}
VMDK_SUBFORMATS = ("monolithicSparse", "monolithicFlat",
                   "twoGbMaxExtentSparse", "twoGbMaxExtentFlat",
                   "streamOptimized")
# -drive file styles whose top node is the image's format.
FORMAT_ON_TOP = ("file", "filename", "filename+driver", "file+driver",
                 "json", "blkdebug")
# The IDE index of each legacy option (a bare image is -hda).
LEGACY_IDE = {"-hda": 0, "bare": 0, "-hdb": 1, "-hdc": 2, "-cdrom": 2,
              "-hdd": 3}
# Odd characters a file name may carry, each with its tag.
ODD = (("", None), ("", None), ("", None), (",", "comma-name"),
       (" ", "space-name"), (":", "colon-name"), ("=", None))


class Image:
    """An image file built in the case directory."""

    def __init__(self, path, fmt, backing=None):
        self.path = path          # relative to $D, as created
        self.fmt = fmt
        self.backing = backing    # the Image below, or None
        self.data = None          # qcow2 external data file (a path)


def escape_opts(value):
    """A value inside a QemuOpts or keyval list: ",," is a comma."""
    return value.replace(",", ",,")


class Gen:
    """One case being generated."""

    def __init__(self, rng):
        self.r = rng
        self.setup = []
        self.args = []
        self.tags = set()
        self.pc = rng.random() < 0.75     # a PC with devices attached
        self.serial = 0
        self.made_dirs = set()
        self.ide_free = [0, 1, 2, 3]
        self.scsi = False
        self.floppy = False

    # -- small choices ----------------------------------------------------
    def chance(self, p):
        return self.r.random() < p

    def pick(self, seq):
        return self.r.choice(seq)

    def tag(self, *names):
        self.tags.update(n for n in names if n)

    def fresh(self, prefix):
        self.serial += 1
        return "%s%d" % (prefix, self.serial)

    def bool_word(self, value):
        """A boolean as QemuOpts and keyval spell it."""
        return self.pick(BOOL_ON if value else BOOL_OFF)

    def step(self, *argv):
        self.setup.append(list(argv))

    # -- files --------------------------------------------------------------
    def in_dir(self, d):
        if d and d not in self.made_dirs:
            self.step("mkdir", "-p", d)
            self.made_dirs.add(d)
        return d + "/" if d else ""

    def name(self, fmt, odd=True):
        odd, tag = self.pick(ODD) if odd else ("", None)
        self.tag(tag)
        stem = self.fresh("img")
        stem = stem[:3] + odd + stem[3:] if odd else stem
        where = self.in_dir(self.pick(("", "", "", "sub", "sub/deep")))
        return "%s%s.%s" % (where, stem, EXT[fmt])

    def create(self, fmt, path, *extra, size=SIZE):
        self.step("qemu-img", "create", "-q", "-f", fmt, *extra,
                  no_protocol(path), size)

    def plain_image(self, fmt=None, odd=True):
        fmt = fmt or self.pick(PLAIN)
        img = Image(self.name(fmt, odd), fmt)
        if fmt == "vmdk" and self.chance(0.25):
            self.vmdk_descriptor(img)
            return img
        extra = []
        size = SIZE
        if fmt == "vmdk":
            sub = self.pick(VMDK_SUBFORMATS)
            extra = ["-o", "subformat=" + sub]
            self.tag("vmdk-" + sub)
            if sub.startswith("twoGb") and self.chance(0.15):
                # hundreds of extents: a descriptor over 8 KiB
                size = "1T" if sub.endswith("Sparse") else "40G"
                self.tag("vmdk-big")
        self.create(fmt, img.path, *extra, size=size)
        return img

    def vmdk_descriptor(self, img):
        """A VMDK written by hand: a text descriptor and 1 to 3 flat
        extents, its extent lines spelled as QEMU still reads them (split
        across lines, behind a long run of blanks)."""
        style = self.pick(("plain", "split", "split-all", "blanks", "tabs",
                           "long-line"))
        self.tag("vmdk-handmade", "vmdk-" + style)
        lines = ["# Disk DescriptorFile", "version=1", "CID=12345678",
                 "parentCID=ffffffff", 'createType="monolithicFlat"']
        for n in range(1, self.pick((1, 1, 2, 3)) + 1):
            flat = "%s-f%d.vmdk" % (img.path[:-len(".vmdk")], n)
            self.create("raw", flat, size="512K")
            name = '"%s"' % basename(flat)
            words = ["RW", "1024", "FLAT", name, "0"]
            if style == "split":
                lines += ["RW 1024 FLAT", name + " 0"]
            elif style == "split-all":
                lines += words
            elif style == "blanks":
                lines.append(" " * 2100 + " ".join(words))
            elif style == "tabs":
                lines.append("\t" + "\t".join(words))
            elif style == "long-line":
                lines.append(" ".join(words) + " " * 2100)
            else:
                lines.append(" ".join(words))
        self.step("write", img.path, *lines)

    def relative(self, target, origin_dir):
        """target (relative to $D) as seen from origin_dir (relative to $D)."""
        up = len(origin_dir.split("/")) if origin_dir else 0
        return "../" * up + target

    def link_to(self, target):
        """A symbolic link to target (a file or directory relative to $D),
        in $D or sub/; its path."""
        # mostly beside its target: relative names below it still resolve
        where = dirname(target) if self.chance(0.8) else self.pick(("", "sub"))
        link = self.in_dir(where) + self.fresh("lnk")
        self.step("ln", "-s", self.relative(target, dirname(link)), link)
        self.tag("symlink")
        return link

    def through_dir_link(self, path):
        """path with its directory reached through a symbolic link to it,
        or None when it lies in $D itself."""
        d = dirname(path)
        if not d:
            return None
        self.tag("dir-link")
        return self.link_to(d) + "/" + path[len(d) + 1:]

    def backing_name(self, below, overlay, overlay_fmt):
        """How overlay's header names below: relative to the overlay's
        directory, absolute, through a symbolic link, or json:."""
        style = self.pick(("relative", "relative", "absolute", "symlink",
                           "dotdot", "json" if overlay_fmt != "vmdk" else
                           "relative"))
        self.tag("backing-" + style)
        odir = dirname(overlay)
        if style == "absolute":
            return "$D/" + below.path
        if style == "symlink":
            return self.relative(self.link_to(below.path), odir)
        if style == "dotdot" and below.path.startswith("sub/deep/"):
            # "L/..", L a link to sub/deep/deep2: the kernel resolves ".."
            # from the link's target (sub/deep), not lexically ($D)
            self.in_dir("sub/deep/deep2")
            link = self.link_to("sub/deep/deep2")
            return self.relative(link + "/../" + below.path[len("sub/deep/"):],
                                 odir)
        if style == "json":
            # a json: name has no directory: a relative filename in it is
            # the current directory's ($D)
            file = {"driver": "file", "filename": self.pick(("$D/", "")) +
                    below.path}
            if looks_like_protocol(file["filename"]):
                self.tag("backing-json-colon")
            node = {"driver": below.fmt, "file": file}
            if self.chance(0.3):
                # raw over the format (copy-on-read would want to write)
                self.tag("backing-json-nested")
                node = {"driver": "raw", "file": node}
            return "json:" + json.dumps(node)
        name = self.relative(below.path, odir)
        return no_protocol(name) if self.chance(0.85) else name

    def chain(self, depth):
        """An image with depth images below it (depth 0: no backing)."""
        if depth == 0:
            return self.plain_image()
        below = self.chain(depth - 1)
        fmt = self.pick(BACKED)
        if fmt == "vmdk" and below.fmt != "vmdk":
            fmt = "qcow2"
        img = Image(self.name(fmt), fmt, below)
        bname = self.backing_name(below, img.path, fmt)
        extra = ["-u", "-b", bname, "-F", below.fmt]
        if fmt == "qcow2" and self.chance(0.25):
            img.data = self.data_name()
            extra += ["-o", "data_file=%s" % escape_opts(img.data)]
        self.tag("fmt-" + fmt)
        self.create(fmt, img.path, *extra)
        self.long_header(img)
        if fmt == "qcow2" and self.chance(0.2):
            self.step("drop-backing-format", img.path)
            self.tag("backing-probed")
        return img

    def long_header(self, img):
        """Sometimes a qcow2 header that pushes its extensions (backing
        format, data file name) to or past byte 8192."""
        if img.fmt == "qcow2" and self.chance(0.1):
            self.tag("qcow2-long-header")
            self.step("qcow2-header-length", img.path,
                      str(self.pick((4096, 8184, 8192, 8200))))

    def data_name(self):
        """A qcow2 external data file: relative (to the current directory,
        where QEMU 7.2 looks for it) or absolute."""
        self.tag("data-file")
        name = self.in_dir(self.pick(("", "sub"))) + self.fresh("data") + ".raw"
        return "$D/" + name if self.chance(0.3) else name

    def disk(self):
        """A disk image: a chain of 0 to 3 images below its top."""
        depth = self.pick((0, 1, 1, 1, 2, 2, 3))
        if depth == 0 and self.chance(0.2):
            img = Image(self.name("qcow2"), "qcow2")
            img.data = self.data_name()
            self.create("qcow2", img.path, "-o", "data_file=%s,data_file_raw=on"
                        % escape_opts(img.data))
            self.long_header(img)
            return img
        return self.chain(depth)

    # -- how a path is spelled ---------------------------------------------
    def spell(self, img_path, protocol):
        """A path as an argument: relative, ./, absolute, through a link,
        or with a file: prefix (protocol: the name is parsed for a
        protocol prefix, as a top-level filename without a driver is)."""
        if img_path.startswith("$D/"):
            return img_path
        style = self.pick(("plain", "plain", "dot", "absolute", "link",
                           "dirlink", "fileprefix"))
        if style == "dirlink":
            return self.through_dir_link(img_path) or img_path
        if style == "dot":
            return "./" + img_path
        if style == "absolute":
            return "$D/" + img_path
        if style == "link":
            return self.link_to(img_path)
        if style == "fileprefix" and protocol:
            self.tag("file-prefix")
            return "file:" + img_path
        if protocol and self.chance(0.8):
            return no_protocol(img_path)
        return img_path

    # -- nodes (as dicts), for -blockdev and json: ------------------------
    def file_node(self, path):
        node = {"driver": "file", "filename": self.spell(path, False)}
        if self.chance(0.2):
            node["locking"] = self.pick(("off", "on", "auto"))
            self.tag("locking")
        if self.chance(0.05):
            node["read-only"] = False
        return node

    def tag_children(self, node):
        """Tags what QEMU makes of node's inline children: one that says
        read-only=off is opened read-write under a read-only parent."""
        if below_read_only_off(node):
            self.tag("child-read-only-off")

    def format_node(self, img, refs, file=None):
        """The node tree opening img: format, file (file: that node in
        place of img's file node), backing, data-file. refs: where children
        defined as their own -blockdev go (None: all inline, as in a json:
        filename)."""
        node = {"driver": img.fmt,
                "file": file or self.child(self.file_node(img.path), refs)}
        if img.backing:
            self.backing_child(node, img, refs)
        if img.data and "backing" in node:
            self.tag("data-file-backing-given")
        if img.data and self.chance(0.4):
            self.tag("data-file-node")
            node["data-file"] = self.child(self.file_node(img.data), refs)
        if self.chance(0.3):
            node["read-only"] = self.chance(0.5)
            self.tag("read-only")
        if self.chance(0.15):
            node["cache"] = {"direct": False, "no-flush": self.chance(0.5)}
        if self.chance(0.1):
            node["auto-read-only"] = self.chance(0.5)
            self.tag("auto-read-only")
        if self.chance(0.1):
            node["discard"] = "unmap"
        return node

    def backing_child(self, node, img, refs):
        """The backing of img's node: from the header, none (null), its
        own node inline or by reference, or another image."""
        how = self.pick(("header", "header", "header", "null", "node",
                         "node", "other"))
        self.tag("backing-" + how)
        if how == "null":
            node["backing"] = None
        elif how != "header":
            below = img.backing if how == "node" else self.plain_image("raw")
            # QEMU refuses references inside an inline backing node
            ref = refs is not None and self.chance(0.4)
            self.tag("backing-ref" if ref else "backing-inline")
            sub = self.format_node(below, refs if ref else None)
            node["backing"] = self.child(sub, refs, force=ref)

    def child(self, node, refs, force=None):
        """node inline, or defined as its own -blockdev (appended to refs,
        children before parents) and referenced by its node-name; force:
        True or False decides."""
        if refs is None or force is False or \
                (force is None and not self.chance(0.3)):
            return node
        node["node-name"] = self.fresh("n")
        refs.append(node)
        self.tag("node-ref")
        return node["node-name"]

    def filter_node(self, img, refs):
        """A filter or test driver over img's node, or img's node alone."""
        kind = self.pick(("none",) * 6 + (
            "copy-on-read", "throttle", "blkdebug", "blkverify", "quorum",
            "raw-offset", "copy-before-write", "preallocate", "compress",
            "blklogwrites"))
        if kind == "none" or (kind == "compress" and img.fmt != "qcow2"):
            return self.format_node(img, refs)
        self.tag(kind)
        if kind == "raw-offset":
            raw = self.plain_image("raw")
            return {"driver": "raw", "offset": 65536, "size": 262144,
                    "file": self.child(self.file_node(raw.path), refs)}
        if kind == "preallocate":
            return self.format_node(img, refs, file={
                "driver": "preallocate", "file": self.file_node(img.path)})
        top = {"driver": kind}
        base = self.child(self.format_node(img, refs), refs)
        if kind == "quorum":
            other = self.format_node(self.disk(), refs)
            top["vote-threshold"] = 1
            top["children"] = [base, self.child(other, refs)]
            return top
        top[{"blkdebug": "image", "blkverify": "test"}.get(kind, "file")] = base
        if kind == "throttle":
            top["throttle-group"] = self.fresh("tg")
            self.args += ["-object", "throttle-group,id=%s,x-iops-total=1000"
                          % top["throttle-group"]]
        elif kind == "blkverify":
            top["raw"] = self.file_node(self.plain_image("raw").path)
        elif kind == "copy-before-write":
            target = self.format_node(self.plain_image("qcow2"), refs)
            top["target"] = self.child(target, refs)
        elif kind == "blklogwrites":
            top["log"] = self.file_node(self.plain_image("raw").path)
        return top

    # -- rendering nodes -----------------------------------------------------
    def flat(self, node, prefix=""):
        """A node as keyval (key, value) pairs: a.b=c, d.0=e, null as an
        empty value, booleans in any spelling."""
        out = []
        for k, v in node.items():
            key = prefix + k
            if isinstance(v, list):
                v = {str(i): x for i, x in enumerate(v)}
            if isinstance(v, dict):
                out += self.flat(v, key + ".")
            elif isinstance(v, bool):
                out.append((key, self.bool_word(v)))
            else:
                out.append((key, "" if v is None else str(v)))
        return out

    def blockdev_arg(self, node):
        if self.chance(0.5):
            self.tag("blockdev-json")
            return json.dumps(node)
        self.tag("blockdev-dotted")
        words = [self.render_opts([kv]) for kv in self.flat(node)]
        # the implied first key: "driver" may go unnamed
        if words[0].startswith("driver=") and self.chance(0.3):
            words[0] = words[0][len("driver="):]
        return ",".join(words)

    def blockdev(self, node):
        if "node-name" not in node:
            node["node-name"] = self.fresh("n")
        self.args += ["-blockdev", self.blockdev_arg(node)]
        return node["node-name"]

    # -- devices -------------------------------------------------------------
    def device(self, drive, readonly=False):
        """A guest device on drive (a -drive id or a node-name); mostly a
        CD-ROM for a read-only one (QEMU refuses a hard disk there)."""
        if readonly and self.chance(0.8):
            kind = self.pick(("ide-cd", "scsi-cd"))
        else:
            kind = self.pick(("virtio-blk-pci", "virtio-blk-pci", "ide-hd",
                              "scsi-hd", "scsi-cd"))
        if kind.startswith("ide"):
            if not self.ide_free:
                kind = "virtio-blk-pci"
            else:
                self.ide_free.pop(0)
        if kind.startswith("scsi") and not self.scsi:
            self.args += ["-device", "virtio-scsi-pci,id=scsi0"]
            self.scsi = True
        props = {"driver": kind, "drive": drive}
        if self.chance(0.15):
            props["share-rw"] = True
            self.tag("share-rw")
        if self.chance(0.3):
            self.args += ["-device", json.dumps(props)]
        else:
            words = ["%s=%s" % (k, self.bool_word(v) if isinstance(v, bool)
                                else escape_opts(v))
                     for k, v in props.items() if k != "driver"]
            self.args += ["-device", ",".join([kind] + words)]

    # -- -drive ----------------------------------------------------------------
    def drive_keys(self, img):
        """The (key, value) pairs of a -drive for img (value None: a
        short boolean such as "snapshot" or "nosnapshot")."""
        keys = []
        style = self.drive_file(img, keys)
        fmt_key = self.pick(("format", "format", "format", "driver", None))
        if style in ("json", "filter", "x-image", "blkverify"):
            pass        # the node names its driver, or blkverify probes
        elif fmt_key:
            keys.append((fmt_key, img.fmt))
        else:
            self.tag("format-probed")
        self.drive_mode_keys(keys)
        if img.backing and style in FORMAT_ON_TOP and self.chance(0.3):
            self.drive_backing_keys(img, keys)
            if img.data:
                self.tag("data-file-backing-given")
        if img.data and self.chance(0.2):
            self.tag("data-file-opts")
            keys.append(("data-file.filename", img.data))
        for k, v in (("cache", self.pick(("writeback", "unsafe", "none",
                                           "directsync", "writethrough"))),
                     ("aio", "threads"), ("discard", "unmap"),
                     ("werror", "stop"), ("rerror", "report"),
                     ("copy-on-read", self.bool_word(True)),
                     ("file.locking", self.pick(("off", "on", "auto"))),
                     ("node-name", self.fresh("dn")),
                     ("auto-read-only", self.bool_word(self.chance(0.5))),
                     ("iops", "1000"), ("detect-zeroes", "on")):
            if self.chance(0.06):
                self.tag("drive-" + k)
                keys.append((k, v))
        return keys

    def drive_file(self, img, keys):
        """The image of a -drive: file=, file.filename=, json:, a filter's
        node as dotted keys, or a blkdebug/blkverify filename."""
        style = self.pick(("file",) * 6 + ("filename",) * 2 + (
            "filename+driver", "file+driver", "json", "json", "filter",
            "blkdebug", "blkverify", "x-image"))
        self.tag("drive-" + style)
        if style == "filter":
            node = self.filter_node(img, None)
            self.tag_children(node)
            keys += self.flat(node)
        elif style == "blkdebug":
            conf = self.pick(("", self.fresh("dbg") + ".conf"))
            if conf:
                self.step("write", conf, "# no rules")
            keys.append(("file", "blkdebug:%s:%s" % (conf,
                                                     self.spell(img.path, False))))
        elif style == "blkverify":
            raw = self.plain_image("raw", odd=False)   # ends at a colon
            keys.append(("file", "blkverify:%s:%s" % (
                raw.path, self.spell(img.path, False))))
        elif style == "x-image":
            keys += [("driver", "blkdebug"),
                     ("x-image", self.spell(img.path, False))]
        elif style == "json":
            node = self.format_node(img, None)
            if node.get("read-only") is True:
                self.tag("drive-json-read-only")
            self.tag_children(node)
            keys.append(("file", "json:" + json.dumps(node)))
        elif style == "file":
            keys.append(("file", self.spell(img.path, True)))
        else:
            name = self.local_name(img.path)
            if style == "file+driver":
                keys += [("file", name), ("file.driver", "file")]
            else:
                keys.append(("file.filename", name))
            if style == "filename+driver":
                keys.append(("file.driver", "file"))
        return style

    def drive_mode_keys(self, keys):
        # QEMU refuses readonly= beside its alias read-only=
        for key in (self.pick(("readonly", "read-only")), "snapshot"):
            if not self.chance(0.2):
                continue
            value = self.chance(0.5)
            if self.chance(0.3):
                short = key if value else "no" + key
                self.tag("short-bool-" + short)
                keys.append((short, None))
            else:
                self.tag(key)
                keys.append((key, self.bool_word(value)))
            if self.chance(0.25):
                self.tag("repeat-key")
                keys.append((key, self.bool_word(not value)))
        if sum(k in ("readonly", "noreadonly") for k, _ in keys) > 1:
            # QEMU renames readonly= to read-only= last value first
            self.tag("readonly-alias-repeated")
        if self.chance(0.1):
            self.tag("media-cdrom")
            keys.append(("media", "cdrom"))

    def drive_backing_keys(self, img, keys):
        how = self.pick(("node-name", "locking", "cache", "null", "other",
                         "driver"))
        self.tag("drive-backing-" + how)
        if how == "node-name":
            keys.append(("backing.node-name", self.fresh("bn")))
        elif how == "locking":
            keys.append(("backing.file.locking", "off"))
        elif how == "cache":
            keys.append(("backing.cache.no-flush", "on"))
        elif how == "null":
            keys.append(("backing", ""))
        elif how == "driver":
            keys.append(("backing.driver", img.backing.fmt))
        else:
            other = self.plain_image("raw")
            keys += [("backing.driver", "raw"),
                     ("backing.file.filename", self.local_name(other.path))]

    def local_name(self, path):
        """path for a -drive key that names a local file whatever its
        colons (file.filename=, file= beside file.driver=)."""
        name = self.spell(path, False)
        if looks_like_protocol(name):
            self.tag("drive-colon-local")
        return name

    def render_opts(self, keys):
        words = []
        for k, v in keys:
            words.append(k if v is None else "%s=%s" % (k, escape_opts(v)))
        return ",".join(words)

    def drive(self, img):
        keys = self.drive_keys(img)
        ident = self.fresh("d")
        readonly = drive_readonly(keys)
        interface = self.interface(keys, readonly)
        keys.append(("id", ident))
        if self.chance(0.08) and not any('"' in (v or "") for _, v in keys):
            self.readconfig(keys, ident)
        else:
            self.args += ["-drive", self.render_opts(keys)]
        if interface == "none" and self.pc:
            self.device(ident, readonly)
        if self.chance(0.1):
            self.set_option(ident, img, keys)

    def interface(self, keys, readonly):
        """if=: none (a device is attached on a PC), virtio, or ide with
        its index, so that no two IDE drives meet."""
        choice = self.pick(("none", "none", "virtio", "ide")) if self.pc \
            else "none"
        if choice == "ide" and (not self.ide_free or readonly and
                                ("media", "cdrom") not in keys):
            choice = "virtio"
        keys.append(("if", choice))
        if choice == "ide":
            index = self.ide_free.pop(0)
            keys += [("index", str(index))] if self.chance(0.5) else \
                [("bus", str(index // 2)), ("unit", str(index % 2))]
        return choice

    def readconfig(self, keys, ident):
        """The -drive as a [drive] section of a -readconfig file."""
        self.tag("readconfig")
        lines = ['[drive "%s"]' % ident]
        for k, v in keys:
            if k == "id":
                continue
            if v is None:
                v = "off" if k.startswith("no") else "on"
                k = k[2:] if k.startswith("no") else k
            lines.append('  %s = "%s"' % (k, v))
        if self.chance(0.15):
            # QEMU reads 1,023 bytes a line: the rest of a longer comment
            # is a line of its own, here naming another image
            self.tag("readconfig-long-line")
            other = self.plain_image("qcow2", odd=False)
            lines.append("#" + "x" * 1022 + 'file = "%s"' % other.path)
        cfg = self.fresh("cfg") + ".conf"
        self.step("write", cfg, *lines)
        self.args += ["-readconfig", cfg]

    def set_option(self, ident, img, keys):
        """-set drive.ID.KEY=VALUE after the -drive with those keys."""
        self.tag("set")
        key, value = self.pick((("readonly", self.bool_word(self.chance(0.5))),
                                ("snapshot", self.bool_word(self.chance(0.5))),
                                ("file", self.spell(img.path, True)),
                                ("cache", "writeback")))
        if key == "readonly" and any(k in ("readonly", "noreadonly")
                                     for k, _ in keys):
            self.tag("readonly-alias-repeated")
        self.args += ["-set", "drive.%s.%s=%s" % (ident, key, value)]

    # -- legacy options and bare images --------------------------------------
    def legacy(self, img):
        """-hda..-hdd, -cdrom, a bare image argument (-hda), -fda, -pflash
        (raw images only): the path taken literally."""
        opt = self.pick(("-hda", "-hdb", "-hdc", "-hdd", "-cdrom", "bare",
                         "-fda", "-pflash"))
        index = LEGACY_IDE.get(opt)
        if (opt == "-pflash" and img.fmt != "raw") or \
                (opt == "-fda" and self.floppy) or \
                (index is not None and index not in self.ide_free):
            return self.drive(img)
        if index is not None:
            self.ide_free.remove(index)
        self.floppy |= opt == "-fda"
        self.tag("legacy" + opt)
        if self.chance(0.15):
            self.tag("legacy-json")
            node = self.format_node(img, None)
            if node.get("read-only") is True:
                self.tag("drive-json-read-only")
            self.tag_children(node)
            name = "json:" + json.dumps(node)
        else:
            name = self.spell(img.path, True)
        if opt == "bare":
            self.args.append("./" + name if name.startswith("-") else name)
        else:
            self.args += [opt, name]

    # -- the whole case --------------------------------------------------------
    def use(self, img):
        """One command-line item that opens img."""
        how = self.pick(("drive", "drive", "drive", "blockdev", "blockdev",
                         "legacy" if self.pc else "drive"))
        if how == "legacy":
            self.legacy(img)
        elif how == "drive":
            self.tag("drive")
            self.drive(img)
        else:
            self.tag("blockdev")
            refs = []
            node = self.filter_node(img, refs)
            for child in refs + [node]:
                self.tag_children(child)
            for child in refs:
                self.blockdev(child)
            name = self.blockdev(node)
            if self.pc and self.chance(0.7):
                self.device(name, has_read_only(node))

    def case(self, name):
        head = ["-M", "pc" if self.pc else "none"]
        for _ in range(self.pick((1, 1, 1, 2, 2, 3))):
            self.use(self.disk())
        if self.chance(0.12):
            self.tag("snapshot-global")
            self.args.append("-snapshot")
        return Case(name, self.setup, head + self.args, sorted(self.tags))


def has_read_only(node):
    """Whether node or an inline node below it says read-only on."""
    return node.get("read-only") is True or any(
        isinstance(kid, dict) and has_read_only(kid)
        for v in node.values() for kid in (v if isinstance(v, list) else [v]))


def below_read_only_off(node):
    """Whether an inline node below node says read-only off."""
    for v in node.values():
        for kid in v if isinstance(v, list) else [v]:
            if isinstance(kid, dict) and (kid.get("read-only") is False or
                                          below_read_only_off(kid)):
                return True
    return False


def drive_readonly(keys):
    """Whether -drive keys make it read-only (the last key wins)."""
    ro = False
    for k, v in keys:
        if k in ("readonly", "read-only", "noreadonly", "noread-only"):
            ro = v in BOOL_ON if v is not None else not k.startswith("no")
    return ro or ("media", "cdrom") in keys


def looks_like_protocol(path):
    """A colon before the first slash: a protocol prefix where QEMU reads
    one (a top-level filename without a driver)."""
    return ":" in path.split("/")[0]


def no_protocol(path):
    """path spelled so that QEMU reads no protocol prefix in it."""
    return "./" + path if looks_like_protocol(path) else path


def basename(path):
    return path.rsplit("/", 1)[-1]


def dirname(path):
    return path.rsplit("/", 1)[0] if "/" in path else ""


def generate(rng, name):
    """A random case named name."""
    return Gen(rng).case(name)

