package dev.tunelab.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Crafted bad files: each must fail with a message naming the file, tensor and problem. */
class SafeTensorsValidationTest {
    @TempDir Path dir;

    /** u64 LE header length, the header bytes as given (no padding), then the data. */
    static byte[] assemble(long headerLength, byte[] header, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerLength).array();
        out.writeBytes(len);
        out.writeBytes(header);
        out.writeBytes(data);
        return out.toByteArray();
    }

    static byte[] assemble(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return assemble(h.length, h, new byte[dataBytes]);
    }

    private String failMessage(String fileName, byte[] content) throws IOException {
        Path p = dir.resolve(fileName);
        Files.write(p, content);
        SafeTensorsFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(SafeTensorsFormatException.class, () -> {
                    try (SafeTensorsFile f = SafeTensors.open(p)) {
                        f.names();
                    }
                }));
        assertTrue(e.getMessage().contains(fileName), () -> "no file name in: " + e.getMessage());
        return e.getMessage();
    }

    private static void assertContains(String message, String... fragments) {
        for (String f : fragments) {
            assertTrue(message.contains(f), () -> "expected '" + f + "' in: " + message);
        }
    }

    static Stream<Arguments> badHeaders() {
        String w = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
        return Stream.of(
                Arguments.of("not-json", "{\"w\": [", 0, new String[] {"not valid JSON"}),
                Arguments.of("not-object", "[1,2,3]", 0,
                        new String[] {"must be a JSON object"}),
                Arguments.of("trailing-garbage", w + "} x", 8, new String[] {"not valid JSON"}),
                Arguments.of("duplicate-key",
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
                        new String[] {"not valid JSON", "Duplicate field 'w'"}),
                Arguments.of("missing-dtype", "{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
                        new String[] {"tensor 'w'", "missing field 'dtype'"}),
                Arguments.of("dtype-not-string", "{\"w\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}",
                        8, new String[] {"tensor 'w'", "'dtype' must be a string"}),
                Arguments.of("unknown-dtype",
                        "{\"w\":{\"dtype\":\"F12\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
                        new String[] {"tensor 'w'", "'dtype'", "unknown value 'F12'", "F32"}),
                Arguments.of("missing-shape", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8,
                        new String[] {"tensor 'w'", "missing field 'shape'"}),
                Arguments.of("negative-dim",
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1,2],\"data_offsets\":[0,8]}}", 8,
                        new String[] {"tensor 'w'", "'shape'", "dimension 0 is -1",
                            "non-negative"}),
                Arguments.of("fractional-dim",
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8,
                        new String[] {"tensor 'w'", "'shape'", "non-negative integer"}),
                Arguments.of("missing-offsets", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8,
                        new String[] {"tensor 'w'", "missing field 'data_offsets'"}),
                Arguments.of("three-offsets",
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", 8,
                        new String[] {"tensor 'w'", "'data_offsets'", "two"}),
                Arguments.of("out-of-bounds",
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[100],\"data_offsets\":[0,400]}}", 16,
                        new String[] {"tensor 'w'", "out of bounds", "only 16 bytes"}),
                Arguments.of("begin-after-end",
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8,
                        new String[] {"tensor 'w'", "begin 8 > end 0"}),
                Arguments.of("overlap",
                        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
                        new String[] {"tensor 'b'", "overlap tensor 'a'"}),
                Arguments.of("hole",
                        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12,
                        new String[] {"tensor 'b'", "hole of 4 unused bytes [4, 8)",
                            "after tensor 'a'"}),
                Arguments.of("hole-at-start",
                        "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
                        new String[] {"tensor 'b'", "hole of 4 unused bytes [0, 4)"}),
                Arguments.of("trailing-bytes", w + "}", 12,
                        new String[] {"data buffer has 12 bytes", "cover only 8", "tensor 'w'"}),
                Arguments.of("size-mismatch",
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8,
                        new String[] {"tensor 'w'", "size mismatch", "needs 12 bytes", "hold 8"}),
                Arguments.of("shape-overflow",
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                                + "\"data_offsets\":[0,8]}}", 8,
                        new String[] {"tensor 'w'", "'shape'", "64 bits"}),
                Arguments.of("huge-dim",
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999999],"
                                + "\"data_offsets\":[0,8]}}", 8,
                        new String[] {"tensor 'w'", "too large"}),
                Arguments.of("entry-not-object", "{\"w\":[1,2]}", 0,
                        new String[] {"tensor 'w'", "must be an object"}),
                Arguments.of("metadata-not-strings",
                        "{\"__metadata__\":{\"step\":100}," + w.substring(1) + "}", 8,
                        new String[] {"__metadata__", "'step'", "string value"}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badHeaders")
    void rejectsBadHeader(String caseName, String header, int dataBytes, String[] fragments)
            throws IOException {
        String m = failMessage(caseName + ".safetensors", assemble(header, dataBytes));
        assertContains(m, fragments);
    }

    @Test
    void rejectsHugeHeaderLengthWithoutReadingIt() throws IOException {
        String m = failMessage("huge.safetensors", assemble(1L << 60, new byte[] {'{', '}'}, new byte[0]));
        assertContains(m, "header length 1152921504606846976", "exceeds the limit");
        // u64 max reads as -1 in Java: must still be treated as huge, not as negative.
        m = failMessage("max.safetensors", assemble(-1L, new byte[] {'{', '}'}, new byte[0]));
        assertContains(m, "18446744073709551615", "exceeds the limit");
    }

    @Test
    void rejectsHeaderLongerThanFile() throws IOException {
        String m = failMessage("short.safetensors", assemble(1000, "{}".getBytes(), new byte[40]));
        assertContains(m, "header length 1000", "larger than the 42 bytes");
    }

    @Test
    void rejectsFileShorterThanLengthPrefix() throws IOException {
        String m = failMessage("tiny.safetensors", new byte[] {1, 2, 3});
        assertContains(m, "file is 3 bytes");
    }

    @Test
    void rejectsInvalidUtf8() throws IOException {
        byte[] h = {'{', '"', (byte) 0xff, '"', ':', '1', '}', ' '};
        String m = failMessage("utf8.safetensors", assemble(h.length, h, new byte[0]));
        assertContains(m, "not valid UTF-8");
    }

    @Test
    void rejectsTruncatedFile() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[8,24]}}";
        byte[] whole = assemble(header, 24);
        // Sanity: the whole file is valid, so the failure below is only the truncation.
        Path ok = dir.resolve("whole.safetensors");
        Files.write(ok, whole);
        try (SafeTensorsFile f = SafeTensors.open(ok)) {
            assertTrue(f.contains("b"));
        }
        String m = failMessage("cut.safetensors", Arrays.copyOf(whole, whole.length - 5));
        assertContains(m, "tensor 'b'", "out of bounds", "only 19 bytes", "truncated");
    }

    @Test
    void emptyHeaderObjectIsValid() throws IOException {
        Path p = dir.resolve("empty.safetensors");
        Files.write(p, assemble("{}      ", 0));
        try (SafeTensorsFile f = SafeTensors.open(p)) {
            assertTrue(f.names().isEmpty());
        }
    }
}
