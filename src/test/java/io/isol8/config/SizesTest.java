package io.isol8.config;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SizesTest {

    @ParameterizedTest
    @CsvSource({
            "100, 100",
            "1k, 1024",
            "512m, 536870912",
            "512MB, 536870912",
            "1 g, 1073741824",
            "1.5g, 1610612736",
            "2T, 2199023255552",
            "64b, 64",
    })
    void sizeStringsAreBinaryMultiples(String text, long bytes) {
        assertEquals(OptionalLong.of(bytes), Sizes.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "lots", "-1", "1x", "1kk", "1.g", "99999999999t", "1e3"})
    void otherTextIsNotASize(String text) {
        assertEquals(OptionalLong.empty(), Sizes.parse(text));
    }

    @ParameterizedTest
    @CsvSource({
            "2147483648, 2g",
            "536870912, 512m",
            "1024, 1k",
            "1000, 1000",
            "1536, 1536",
            "0, 0",
    })
    void formatPicksTheLargestExactUnit(long bytes, String text) {
        assertEquals(text, Sizes.format(bytes));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 1000, 1024, 6L << 20, 3L << 29, 1L << 40})
    void formatThenParseIsTheSameSize(long bytes) {
        assertEquals(OptionalLong.of(bytes), Sizes.parse(Sizes.format(bytes)));
    }
}
