package dev.tunelab.io;

import java.math.BigInteger;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a model is written as a Hugging Face checkpoint: the float type of its weights and the
 * largest shard, as transformers' {@code save_pretrained(dir, max_shard_size=...)} with the model
 * cast to {@code torch_dtype} first.
 *
 * <pre>{@code
 * model.save(dir);                                              // the model's own type, 5 GB shards
 * model.save(dir, SaveOptions.bf16());                          // bfloat16, config.json says so
 * model.save(dir, SaveOptions.fp16().maxShardSize("2GB"));      // model-0000i-of-0000n + index
 * }</pre>
 *
 * @param dtype F32, F16 or BF16 for every float tensor; null keeps the model's own type
 * @param maxShardBytes the most tensor bytes in one shard file (a larger single tensor gets a
 *     shard of its own, as in transformers)
 */
public record SaveOptions(Dtype dtype, long maxShardBytes) {
    /** transformers' default {@code max_shard_size="5GB"} (decimal gigabytes). */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    public SaveOptions {
        if (dtype != null && dtype != Dtype.F32 && dtype != Dtype.F16 && dtype != Dtype.BF16) {
            throw new IllegalArgumentException("SaveOptions dtype: expected F32, F16 or BF16, got " + dtype);
        }
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("SaveOptions maxShardSize: expected a positive size, got " + maxShardBytes);
        }
    }

    /** The model's own float type, 5 GB shards. */
    public static SaveOptions defaults() {
        return new SaveOptions(null, DEFAULT_MAX_SHARD_BYTES);
    }

    /** Every float tensor as {@code dtype} (F32, F16 or BF16), 5 GB shards. */
    public static SaveOptions dtype(Dtype dtype) {
        if (dtype == null) {
            throw new IllegalArgumentException("SaveOptions dtype: expected F32, F16 or BF16, got null (use defaults())");
        }
        return new SaveOptions(dtype, DEFAULT_MAX_SHARD_BYTES);
    }

    public static SaveOptions fp32() {
        return dtype(Dtype.F32);
    }

    public static SaveOptions fp16() {
        return dtype(Dtype.F16);
    }

    /** bfloat16, rounded to nearest even from the fp32 bits ({@link HalfFloats#floatToBf16}). */
    public static SaveOptions bf16() {
        return dtype(Dtype.BF16);
    }

    public SaveOptions maxShardSize(long bytes) {
        return new SaveOptions(dtype, bytes);
    }

    /**
     * The largest shard as transformers spells it ({@code convert_file_size_to_int} in
     * transformers/utils/hub.py): an integer and a unit, {@code "5GB"} (10^9 bytes), {@code "500MB"},
     * {@code "100KB"}, {@code "2GiB"} (2^30), {@code "512MiB"}, {@code "64KiB"}; a lower-case final
     * {@code b} on KB/MB/GB means bits ({@code "8Gb"} is 1 GB).
     */
    public SaveOptions maxShardSize(String size) {
        return new SaveOptions(dtype, parseSize(size));
    }

    private static final Pattern SIZE = Pattern.compile("(\\d+)([kKmMgG])([iI]?)([bB])");

    /** Bytes of a size string (see {@link #maxShardSize(String)}). */
    public static long parseSize(String size) {
        Matcher m = size == null ? null : SIZE.matcher(size);
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("SaveOptions maxShardSize: expected an integer followed by a unit"
                    + " (KB, MB, GB, KiB, MiB, GiB), e.g. \"5GB\", got " + (size == null ? "null" : "\"" + size + "\""));
        }
        int power = "kmg".indexOf(m.group(2).toLowerCase(Locale.ROOT)) + 1;
        boolean binary = !m.group(3).isEmpty();
        BigInteger base = BigInteger.valueOf(binary ? 1024 : 1000).pow(power);
        BigInteger bytes = new BigInteger(m.group(1)).multiply(base);
        if (!binary && m.group(4).equals("b")) {
            bytes = bytes.divide(BigInteger.valueOf(8)); // bits
        }
        if (bytes.signum() <= 0 || bytes.bitLength() > 62) {
            throw new IllegalArgumentException("SaveOptions maxShardSize: \"" + size + "\" is " + bytes + " bytes; expected at least 1 and below 2^62");
        }
        return bytes.longValue();
    }

    /** The {@code torch_dtype} string config.json gets for a stored type. */
    public static String torchDtype(Dtype stored) {
        return switch (stored) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            case F64 -> "float64";
            default -> throw new IllegalArgumentException("not a float type: " + stored);
        };
    }
}
