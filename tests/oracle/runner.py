"""One case: its text form (cases.txt), and running it through
`vmlock run --dry-run` and through a real QEMU paused with -S, then the
verdict per file.

A case is setup steps (argument vectors run in a fresh case directory,
$D) and the qemu-system arguments that follow a fixed harness prefix
(HARNESS). $D in either stands for the case directory.
"""
import os
import runpy
import shlex
import shutil
import stat
import struct
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
# examples/qmp: the project's one QMP client.
QMP = runpy.run_path(os.path.join(HERE, "..", "..", "examples", "qmp"))
HARNESS = ["-S", "-nodefaults", "-no-user-config", "-display", "none",
           "-qmp", "unix:qmp.sock,server=on,wait=off"]
# QEMU dies with the oracle, however the oracle ends (setpriv execs it:
# the same pid).
DIE_WITH_US = ["setpriv", "--pdeathsig", "KILL", "--"]

UNSAFE = ("unsafe-missing", "unsafe-weaker")
# Every class, worst first.
CLASSES = UNSAFE + ("vmlock-error", "vmlock-refused", "qemu-refused",
                    "setup-failed", "over-locked", "ok")
MODE_RANK = {"readonly": 1, "shared": 2, "exclusive": 3}


class Case:
    """A command line and the images it needs."""

    def __init__(self, name, setup, args, tags=(), known=None):
        self.name = name
        self.setup = setup        # [argv, ...]
        self.args = args          # after qemu-system-x86_64 HARNESS
        self.tags = list(tags)
        self.known = known        # "TAG[,TAG...] why", a bug not fixed yet

    def known_tags(self):
        return self.known.split()[0].split(",") if self.known else []

    def block(self):
        """The case as cases.txt holds it."""
        out = ["case " + self.name]
        if self.tags:
            out.append("tags " + " ".join(self.tags))
        if self.known:
            out.append("known " + self.known)
        out += ["setup " + quote(s) for s in self.setup]
        out.append("qemu " + quote(self.args))
        return "\n".join(out) + "\n"


def quote(argv):
    return " ".join(shlex.quote(a) for a in argv)


def read_cases(path):
    """The cases of a cases.txt: blocks of "case NAME", then "tags T...",
    "known TAG[,TAG...] WHY", "setup ARGV" and "qemu ARGV" lines
    (shell-quoted, "qemu" lines joined); "#" starts a comment line.
    ValueError names the line that is wrong."""
    cases, cur = [], None
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            word, _, rest = line.partition(" ")
            where = "%s:%d" % (path, n)
            if word == "case":
                cur = Case(rest.strip(), [], [])
                cases.append(cur)
            elif cur is None:
                raise ValueError("%s: %s before any case line" % (where, word))
            elif word == "tags":
                cur.tags = rest.split()
            elif word == "known":
                cur.known = rest.strip()
            elif word in ("setup", "qemu"):
                try:
                    argv = shlex.split(rest)
                except ValueError as e:
                    raise ValueError("%s: %s" % (where, e)) from None
                if word == "setup":
                    cur.setup.append(argv)
                else:
                    cur.args += argv
            else:
                raise ValueError("%s: unknown line %r" % (where, word))
    return cases


# -- setup steps that are not programs -------------------------------------

def write_lines(path, *lines):
    """write FILE LINE...: a text file, one argument a line."""
    with open(path, "w") as f:
        f.write("".join(line + "\n" for line in lines))


QCOW2_BACKING_FORMAT = 0xe2792aca


def qcow2_header(head):
    """(header length, [(extension type, data)], end of the extensions)
    of the first cluster of a qcow2 image."""
    version, = struct.unpack_from(">I", head, 4)
    hlen = struct.unpack_from(">I", head, 100)[0] if version >= 3 else 72
    exts, off = [], hlen
    while True:
        kind, size = struct.unpack_from(">II", head, off)
        if kind == 0:
            return hlen, exts, off + 8
        exts.append((kind, head[off + 8:off + 8 + size]))
        off += 8 + (size + 7) // 8 * 8


def pack_extensions(exts):
    return b"".join(struct.pack(">II", k, len(d)) + d + b"\0" * (-len(d) % 8)
                    for k, d in exts) + b"\0" * 8


def drop_backing_format(path):
    """drop-backing-format FILE: removes the backing format extension of a
    qcow2 header, so that QEMU probes the backing file's format."""
    with open(path, "r+b") as f:
        head = f.read(65536)
        hlen, exts, end = qcow2_header(head)
        area = pack_extensions([e for e in exts
                                if e[0] != QCOW2_BACKING_FORMAT])
        f.seek(hlen)
        f.write(area + b"\0" * (end - hlen - len(area)))


def qcow2_header_length(path, length):
    """qcow2-header-length FILE N: a version 3 header N bytes long, so that
    its extensions start at byte N, the backing file name after them."""
    length = int(length)
    with open(path, "r+b") as f:
        head = f.read(65536)
        hlen, exts, _ = qcow2_header(head)
        boff, bsize = struct.unpack_from(">QI", head, 8)
        name = head[boff:boff + bsize] if boff else b""
        new = bytearray(head[:hlen] + b"\0" * (length - hlen))
        struct.pack_into(">I", new, 100, length)
        new += pack_extensions(exts)
        if boff:
            struct.pack_into(">Q", new, 8, len(new))
            new += name
        if len(new) > 1 << struct.unpack_from(">I", head, 20)[0]:
            raise ValueError("%s: a header of %d bytes leaves its cluster"
                             % (path, length))
        f.seek(0)
        f.write(bytes(new))


BUILTIN_STEPS = {"write": write_lines,
                 "drop-backing-format": drop_backing_format,
                 "qcow2-header-length": qcow2_header_length}


def expand(argv, d):
    return [a.replace("$D", d) for a in argv]


def run_setup(case, d, timeout):
    """Runs the setup steps in d; returns None or what failed."""
    for argv in case.setup:
        argv = expand(argv, d)
        try:
            if argv[0] in BUILTIN_STEPS:
                BUILTIN_STEPS[argv[0]](os.path.join(d, argv[1]), *argv[2:])
                continue
            p = subprocess.run(argv, cwd=d, stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=timeout)
        except (OSError, ValueError, struct.error,
                subprocess.TimeoutExpired) as e:
            return "%s: %s" % (quote(argv), e)
        if p.returncode:
            return "%s: exit %d: %s" % (quote(argv), p.returncode,
                                        p.stderr.strip())
    return None


# -- what each side opens ---------------------------------------------------

def index_files(d):
    """(device, inode) -> path relative to d, of every regular file and
    block device below d."""
    files = {}
    for top, dirs, names in os.walk(d):
        for n in names:
            p = os.path.join(top, n)
            st = os.lstat(p)
            if stat.S_ISREG(st.st_mode) or stat.S_ISBLK(st.st_mode):
                files[(st.st_dev, st.st_ino)] = os.path.relpath(p, d)
    return files


def vmlock_plan(vmlock, qemu, case, d, timeout):
    """(exit code, {(dev, ino): mode}, [paths not found], stderr) of
    `vmlock run --dry-run`."""
    argv = [vmlock, "run", "--dry-run", "--", qemu] + HARNESS + \
        expand(case.args, d)
    try:
        p = subprocess.run(argv, cwd=d, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, {}, [], "timed out after %g s" % timeout
    plan, gone = {}, []
    for line in p.stdout.splitlines() if p.returncode == 0 else ():
        mode, _, path = line.partition("\t")
        if path.startswith("lease:"):
            continue
        try:
            st = os.stat(path)
        except OSError:
            gone.append(path)
            continue
        key = (st.st_dev, st.st_ino)
        if MODE_RANK.get(mode, 0) > MODE_RANK.get(plan.get(key), 0):
            plan[key] = mode
    return p.returncode, plan, gone, p.stderr.strip()


def open_files(pid, files):
    """{(dev, ino): True when read-write} of the fds of pid on files."""
    seen = {}
    base = "/proc/%d/fd" % pid
    for fd in os.listdir(base):
        try:
            st = os.stat(os.path.join(base, fd))
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                flags = next(int(line.split()[1], 8) for line in f
                             if line.startswith("flags:"))
        except (OSError, StopIteration):
            continue
        key = (st.st_dev, st.st_ino)
        if key in files:
            seen[key] = seen.get(key, False) or (flags & os.O_ACCMODE) != 0
    return seen


def qemu_opens(qemu, case, d, files, patience):
    """(what QEMU holds open once it answers QMP, None) or (None, why it
    did not start)."""
    sock = os.path.join(d, "qmp.sock")
    if len(sock) > 100:     # sun_path: 108 bytes
        raise SystemExit("oracle: %s: socket path too long: use a shorter "
                         "--tmpdir" % sock)
    err = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(DIE_WITH_US + [qemu] + HARNESS +
                            expand(case.args, d), cwd=d,
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=err,
                            env=dict(os.environ, TMPDIR=d))

    def alive():
        if proc.poll() is not None:
            raise QMP["Closed"]("QEMU exited %d" % proc.returncode)

    try:
        with QMP["QMP"](sock, timeout=patience, waiting=alive,
                        io_timeout=patience) as q:
            q.call("query-status")
            return open_files(proc.pid, files), None
    except QMP["QMPError"] as e:
        err.seek(0)
        lines = err.read().strip().splitlines()
        return None, (lines[-1] if lines else str(e))
    finally:
        stop(proc, patience)
        err.close()


def stop(proc, patience):
    """Ends QEMU (its own pid only): TERM, so it removes its temporary
    files, then KILL."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(patience)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- the verdict ----------------------------------------------------------

class Result:
    def __init__(self, case, cls, detail="", findings=(), over=()):
        self.case = case
        self.cls = cls
        self.detail = detail
        self.findings = list(findings)    # "path: qemu X, vmlock Y"
        self.over = list(over)
        self.excused = None               # the known case it is matched to

    def unsafe(self):
        return self.cls in UNSAFE


def compare(case, files, opened, plan, gone):
    missing, weaker, over = [], [], []
    for key, rw in sorted(opened.items(), key=lambda kv: files[kv[0]]):
        want = plan.get(key)
        qmode = "read-write" if rw else "read-only"
        if want is None:
            missing.append("%s: qemu %s, vmlock none" % (files[key], qmode))
        elif rw and want == "readonly":
            weaker.append("%s: qemu %s, vmlock %s" % (files[key], qmode, want))
        elif not rw and want != "readonly":
            over.append("%s: qemu %s, vmlock %s" % (files[key], qmode, want))
    for key, mode in plan.items():
        if key not in opened:
            over.append("%s: qemu none, vmlock %s"
                        % (files.get(key, "(outside the case)"), mode))
    over += ["%s: not found, vmlock plans it" % p for p in gone]
    cls = "unsafe-missing" if missing else "unsafe-weaker" if weaker else \
        "over-locked" if over else "ok"
    return Result(case, cls, findings=missing + weaker, over=over)


def run_case(case, cfg):
    """Builds the case's images in a fresh directory, asks vmlock and
    QEMU, and classifies."""
    d = tempfile.mkdtemp(prefix="c.", dir=cfg.tmpdir)
    try:
        why = run_setup(case, d, cfg.patience)
        if why:
            return Result(case, "setup-failed", why)
        files = index_files(d)
        rc, plan, gone, verr = vmlock_plan(cfg.vmlock, cfg.qemu, case, d,
                                           cfg.patience)
        opened, qerr = qemu_opens(cfg.qemu, case, d, files, cfg.patience)
        if opened is None:
            return Result(case, "qemu-refused", qerr)
        if rc == 64:
            return Result(case, "vmlock-refused", verr)
        if rc != 0:
            return Result(case, "vmlock-error", "exit %s: %s" % (rc, verr))
        return compare(case, files, opened, plan, gone)
    finally:
        if cfg.keep:
            print("kept %s: %s" % (case.name, d), flush=True)
        else:
            shutil.rmtree(d, ignore_errors=True)
