// fuzz_idx.c — libFuzzer target for the IDX reader (core/idx.c): idx_parse and ae_idx_info on any
// bytes, checking that an accepted file's header, dimensions and data add up to its length.
// Not a test of the data sets themselves (tests/test_idx.c reads the real files).
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aevp.h"
#include "io/idx.h"

#define REQUIRE(cond) \
    do {              \
        if (!(cond)) __builtin_trap(); \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    idx_file f;
    char err[256] = "untouched";
    int rc = idx_parse(&f, data, size, err, sizeof err);
    REQUIRE(rc == AE_OK || rc == AE_ERR_DATA);
    REQUIRE(memchr(err, '\0', sizeof err) != NULL);

    // No message buffer, or a tiny one: the same verdict, and a terminated message.
    idx_file quiet;
    REQUIRE(idx_parse(&quiet, data, size, NULL, 0) == rc);
    char tiny[3] = {'x', 'x', 'x'};
    REQUIRE(idx_parse(&quiet, data, size, tiny, sizeof tiny) == rc);
    REQUIRE(memchr(tiny, '\0', sizeof tiny) != NULL);

    int rank = -1;
    uint32_t dims[3] = {7, 7, 7};
    int info_rc = ae_idx_info(data, size, &rank, dims);
    REQUIRE(info_rc == rc);

    if (rc != AE_OK) {
        REQUIRE(strncmp(err, "idx: ", 5) == 0);
        REQUIRE(strcmp(ae_last_error(), err) == 0);
        return 0;
    }
    REQUIRE(err[0] == '\0');
    REQUIRE(f.rank == 1 || f.rank == 3);
    size_t header = 4 + 4 * (size_t)f.rank;
    uint64_t product = 1;
    for (int i = 0; i < f.rank; i++) {
        REQUIRE(f.dims[i] >= 1);
        product *= f.dims[i];
    }
    REQUIRE(f.size == product && header + f.size == size && f.data == data + header);
    REQUIRE(rank == f.rank);
    for (int i = 0; i < 3; i++) REQUIRE(dims[i] == (i < f.rank ? f.dims[i] : 0));
    return 0;
}
