/* libFuzzer target: the qcow2/QED header parser, probing and with the
 * format given. */
#include "config.h"
#include "image/header.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const formats[] = { NULL, "qcow2", "qed", "raw" };
	struct image_header h;
	struct vl_error e;

	image_header_span(data, size);
	for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
		if (image_parse_header(data, size, formats[i], "fuzz", &h, &e) == 0)
			image_header_free(&h);
	return 0;
}
