package dev.tunelab.peft;

import dev.tunelab.display.Numbers;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import java.util.LinkedHashMap;
import java.util.Map;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Bytes of a set of weight matrices in fp32, bf16, int8, NF4 and NF4 with double quantization
 * (block 64, second-level block 256), and the bits each format spends per parameter. QLoRA's
 * figure for NF4 + double quantization is 4 + 8/64 + 32/(64 * 256) = 4.127 bits (Dettmers et al.
 * 2023, section 3); without it 4 + 32/64 = 4.5.
 */
public record WeightMemory(long parameters, Map<String, Long> bytes) implements Renderable {
    public static WeightMemory of(long... tensorSizes) {
        long params = 0;
        Map<String, Long> b = new LinkedHashMap<>();
        b.put("fp32", 0L);
        b.put("bf16", 0L);
        b.put("int8", 0L);
        b.put("int4", 0L);
        b.put("nf4", 0L);
        b.put("nf4+dq", 0L);
        for (long n : tensorSizes) {
            params += n;
            b.merge("fp32", 4 * n, Long::sum);
            b.merge("bf16", 2 * n, Long::sum);
            b.merge("int8", BlockQuantized.storageBytes(n, QuantFormat.INT8, BlockQuantized.BLOCK, false), Long::sum);
            b.merge("int4", BlockQuantized.storageBytes(n, QuantFormat.INT4, BlockQuantized.BLOCK, false), Long::sum);
            b.merge("nf4", BlockQuantized.storageBytes(n, QuantFormat.NF4, BlockQuantized.BLOCK, false), Long::sum);
            b.merge("nf4+dq", BlockQuantized.storageBytes(n, QuantFormat.NF4, BlockQuantized.BLOCK, true), Long::sum);
        }
        return new WeightMemory(params, Map.copyOf(b));
    }

    public long bytes(String format) {
        Long v = bytes.get(format);
        if (v == null) {
            throw new IllegalArgumentException("unknown format '" + format + "'; formats are " + bytes.keySet());
        }
        return v;
    }

    public double bitsPerParameter(String format) {
        return parameters == 0 ? 0 : 8.0 * bytes(format) / parameters;
    }

    private static final String[] ORDER = {"fp32", "bf16", "int8", "int4", "nf4", "nf4+dq"};

    /** One row per format: bytes and bits per parameter. */
    public Table table() {
        StringColumn format = StringColumn.create("format");
        LongColumn size = LongColumn.create("bytes");
        DoubleColumn bits = DoubleColumn.create("bits / parameter");
        for (String f : ORDER) {
            format.append(f);
            size.append(bytes(f));
            bits.append(bitsPerParameter(f));
        }
        return Table.create("weight memory of " + Numbers.format(parameters) + " parameters", format, size, bits);
    }

    /** One line: {@code 65,536 parameters: fp32 262,144 bytes (32 bits/param), ..., nf4+dq 33,808 bytes (4.127 bits/param)}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(Numbers.format(parameters)).append(" parameters:");
        for (String f : ORDER) {
            s.append(f.equals(ORDER[0]) ? " " : ", ").append(f).append(' ').append(Numbers.format(bytes(f)))
                    .append(" bytes (").append(Numbers.format(bitsPerParameter(f))).append(" bits/param)");
        }
        return s.toString();
    }

    @Override
    public Map<String, String> mimeBundle() {
        return Tables.mimeBundle(table());
    }
}
