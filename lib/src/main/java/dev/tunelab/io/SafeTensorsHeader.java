package dev.tunelab.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and validates a safetensors header before anything in it is trusted.
 *
 * <p>Format: https://github.com/huggingface/safetensors#format (u64 LE header size N, N bytes of
 * UTF-8 JSON, then the data buffer).
 */
final class SafeTensorsHeader {
    /** Same cap as the reference implementation: larger headers are refused unread. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    static final String METADATA_KEY = "__metadata__";

    /** Jackson with strict settings: duplicate keys and trailing tokens are format errors. */
    static final ObjectMapper JSON =
            JsonMapper.builder()
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
                    .disable(JsonParser.Feature.ALLOW_COMMENTS)
                    .build();

    final long headerLength;
    final long dataStart;
    final long dataLength;
    final Map<String, SafeTensorsInfo> tensors;
    final Map<String, String> metadata;

    private SafeTensorsHeader(
            long headerLength,
            long dataLength,
            Map<String, SafeTensorsInfo> tensors,
            Map<String, String> metadata) {
        this.headerLength = headerLength;
        this.dataStart = 8 + headerLength;
        this.dataLength = dataLength;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Reads the header of an open file; {@code label} names the file in messages. */
    static SafeTensorsHeader read(FileChannel ch, String label) throws IOException {
        long fileSize = ch.size();
        if (fileSize < 8) {
            throw new SafeTensorsFormatException(
                    label + ": file is " + fileSize + " bytes; a safetensors file starts with an"
                            + " 8-byte header length (file truncated or not safetensors)");
        }
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, len, 0, label);
        long n = len.getLong(0);
        // Compare unsigned: a u64 above 2^63 reads as negative in Java.
        if (Long.compareUnsigned(n, MAX_HEADER_BYTES) > 0) {
            throw new SafeTensorsFormatException(
                    label + ": header length " + Long.toUnsignedString(n) + " exceeds the limit of "
                            + MAX_HEADER_BYTES + " bytes (corrupt file or not safetensors)");
        }
        if (n > fileSize - 8) {
            throw new SafeTensorsFormatException(
                    label + ": header length " + n + " is larger than the " + (fileSize - 8)
                            + " bytes that follow it (file truncated?)");
        }
        ByteBuffer json = ByteBuffer.allocate((int) n);
        readFully(ch, json, 8, label);
        return parse(json.array(), fileSize - 8 - n, label);
    }

    /**
     * Parses and validates header JSON bytes for a data buffer of {@code dataLength} bytes.
     */
    static SafeTensorsHeader parse(byte[] jsonBytes, long dataLength, String label)
            throws SafeTensorsFormatException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(jsonBytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SafeTensorsFormatException(label + ": header is not valid UTF-8", e);
        }
        if (text.isEmpty() || text.charAt(0) != '{') {
            throw new SafeTensorsFormatException(
                    label + ": header must be a JSON object starting with '{', found "
                            + describeStart(text));
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new SafeTensorsFormatException(
                    label + ": header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafeTensorsFormatException(label + ": header must be a JSON object");
        }

        Map<String, String> metadata = Collections.emptyMap();
        Map<String, SafeTensorsInfo> tensors = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (METADATA_KEY.equals(e.getKey())) {
                metadata = parseMetadata(e.getValue(), label);
            } else {
                tensors.put(e.getKey(), parseTensor(e.getKey(), e.getValue(), dataLength, label));
            }
        }
        checkCoverage(tensors, dataLength, label);
        return new SafeTensorsHeader(
                jsonBytes.length,
                dataLength,
                Collections.unmodifiableMap(tensors),
                Collections.unmodifiableMap(metadata));
    }

    private static Map<String, String> parseMetadata(JsonNode node, String label)
            throws SafeTensorsFormatException {
        if (node.isNull()) {
            return Collections.emptyMap();
        }
        if (!node.isObject()) {
            throw new SafeTensorsFormatException(
                    label + ": " + METADATA_KEY + " must be an object of string values, found "
                            + node.getNodeType());
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new SafeTensorsFormatException(
                        label + ": " + METADATA_KEY + " key '" + e.getKey()
                                + "' must have a string value, found " + e.getValue().getNodeType());
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return out;
    }

    private static SafeTensorsInfo parseTensor(
            String name, JsonNode node, long dataLength, String label)
            throws SafeTensorsFormatException {
        String where = label + ": tensor '" + name + "'";
        if (!node.isObject()) {
            throw new SafeTensorsFormatException(
                    where + ": entry must be an object with dtype, shape and data_offsets, found "
                            + node.getNodeType());
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null) {
            throw new SafeTensorsFormatException(where + ": missing field 'dtype'");
        }
        if (!dtypeNode.isTextual()) {
            throw new SafeTensorsFormatException(
                    where + ": field 'dtype' must be a string, found " + dtypeNode.getNodeType());
        }
        Dtype dtype = Dtype.fromHeader(dtypeNode.textValue());
        if (dtype == null) {
            throw new SafeTensorsFormatException(
                    where + ": field 'dtype' has unknown value '" + dtypeNode.textValue()
                            + "'; expected one of " + java.util.Arrays.toString(Dtype.values()));
        }

        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null) {
            throw new SafeTensorsFormatException(where + ": missing field 'shape'");
        }
        if (!shapeNode.isArray()) {
            throw new SafeTensorsFormatException(
                    where + ": field 'shape' must be an array of non-negative integers, found "
                            + shapeNode.getNodeType());
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = nonNegativeLong(shapeNode.get(i), where + ": field 'shape': dimension " + i);
        }

        JsonNode offNode = node.get("data_offsets");
        if (offNode == null) {
            throw new SafeTensorsFormatException(where + ": missing field 'data_offsets'");
        }
        if (!offNode.isArray() || offNode.size() != 2) {
            throw new SafeTensorsFormatException(
                    where + ": field 'data_offsets' must be an array [begin, end] of two"
                            + " non-negative integers, found " + offNode);
        }
        long begin = nonNegativeLong(offNode.get(0), where + ": field 'data_offsets': begin");
        long end = nonNegativeLong(offNode.get(1), where + ": field 'data_offsets': end");
        if (begin > end) {
            throw new SafeTensorsFormatException(
                    where + ": field 'data_offsets' has begin " + begin + " > end " + end);
        }
        if (end > dataLength) {
            throw new SafeTensorsFormatException(
                    where + ": field 'data_offsets' [" + begin + ", " + end + ") is out of bounds:"
                            + " the data buffer has only " + dataLength + " bytes (file truncated?)");
        }

        long expected;
        try {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            expected = Math.multiplyExact(n, (long) dtype.size());
        } catch (ArithmeticException e) {
            throw new SafeTensorsFormatException(
                    where + ": field 'shape' " + java.util.Arrays.toString(shape)
                            + " has more elements than fit in 64 bits");
        }
        if (expected != end - begin) {
            throw new SafeTensorsFormatException(
                    where + ": size mismatch: shape " + java.util.Arrays.toString(shape) + " of "
                            + dtype + " needs " + expected + " bytes but data_offsets [" + begin
                            + ", " + end + ") hold " + (end - begin));
        }
        return new SafeTensorsInfo(name, dtype, shape, begin, end);
    }

    private static long nonNegativeLong(JsonNode v, String what) throws SafeTensorsFormatException {
        if (v == null || !v.isIntegralNumber()) {
            throw new SafeTensorsFormatException(
                    what + " must be a non-negative integer, found " + v);
        }
        if (v.bigIntegerValue().signum() < 0) {
            throw new SafeTensorsFormatException(what + " is " + v + "; expected a non-negative integer");
        }
        if (!v.canConvertToLong()) {
            throw new SafeTensorsFormatException(what + " is " + v + ", too large");
        }
        return v.longValue();
    }

    /** Tensors must tile the data buffer exactly: no overlaps, no holes, nothing left over. */
    private static void checkCoverage(
            Map<String, SafeTensorsInfo> tensors, long dataLength, String label)
            throws SafeTensorsFormatException {
        List<SafeTensorsInfo> sorted = new ArrayList<>(tensors.values());
        sorted.sort(
                Comparator.comparingLong(SafeTensorsInfo::begin)
                        .thenComparingLong(SafeTensorsInfo::end));
        long covered = 0;
        SafeTensorsInfo previous = null;
        for (SafeTensorsInfo t : sorted) {
            if (t.begin() < covered) {
                throw new SafeTensorsFormatException(
                        label + ": tensor '" + t.name() + "': data_offsets [" + t.begin() + ", "
                                + t.end() + ") overlap tensor '" + previous.name() + "' ["
                                + previous.begin() + ", " + previous.end() + ")");
            }
            if (t.begin() > covered) {
                throw new SafeTensorsFormatException(
                        label + ": tensor '" + t.name() + "': data_offsets begin at " + t.begin()
                                + " leaving a hole of " + (t.begin() - covered) + " unused bytes ["
                                + covered + ", " + t.begin() + ") in the data buffer"
                                + (previous == null ? "" : " after tensor '" + previous.name() + "'"));
            }
            covered = t.end();
            previous = t;
        }
        if (covered != dataLength) {
            throw new SafeTensorsFormatException(
                    label + ": data buffer has " + dataLength + " bytes but the tensors cover only "
                            + covered + (previous == null ? "" : " (last tensor '" + previous.name()
                            + "' ends at " + covered + ")") + "; trailing bytes are not allowed");
        }
    }

    private static String describeStart(String text) {
        if (text.isEmpty()) {
            return "an empty header";
        }
        String s = text.length() > 20 ? text.substring(0, 20) + "..." : text;
        return "'" + s.replaceAll("\\p{Cntrl}", "?") + "'";
    }

    static void readFully(FileChannel ch, ByteBuffer dst, long position, String label)
            throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int r = ch.read(dst, pos);
            if (r < 0) {
                throw new SafeTensorsFormatException(label + ": unexpected end of file at " + pos);
            }
            pos += r;
        }
    }
}
