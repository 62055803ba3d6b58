package dev.tunelab.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tensor larger than one Java buffer loads in pieces of whole rows joined by PyTorch; here the
 * piece size is made small so that a 7 x 5 bf16 tensor takes the same path as a 2 GiB one.
 */
class SafeTensorsChunkedLoadTest {
    @TempDir
    Path dir;

    @Test
    void piecesOfRowsGiveTheSameTensor() throws Exception {
        float[] values = new float[35];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) Math.sin(i) * (i + 1);
        }
        Path file = dir.resolve("t.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            SafeTensors.writer().floatsAs(Dtype.BF16).write(file, Map.of("w", m.create(values, new Shape(7, 5))));
            try (SafeTensorsFile f = SafeTensors.open(file)) {
                NDArray whole = f.load(m, "w", DataType.FLOAT32);
                for (long chunk : new long[] {20, 40, 60}) { // 1, 2 and 3 rows (of 5 fp32 values) per piece
                    NDArray pieces = f.load(m, f.info("w"), DataType.FLOAT32, chunk, SafeTensorsFile.MAP_BYTES);
                    assertEquals(new Shape(7, 5), pieces.getShape());
                    assertArrayEquals(whole.toFloatArray(), pieces.toFloatArray(), "pieces of " + chunk + " bytes");
                }
                // the file mapped a few values at a time (3 values: pieces straddle rows), converted to each float type
                for (DataType target : new DataType[] {DataType.FLOAT32, DataType.FLOAT16, DataType.FLOAT64}) {
                    NDArray once = f.load(m, f.info("w"), target, SafeTensorsFile.CHUNK_BYTES, SafeTensorsFile.MAP_BYTES);
                    for (int mapBytes : new int[] {2, 6, 70}) {
                        NDArray mapped = f.load(m, f.info("w"), target, SafeTensorsFile.CHUNK_BYTES, mapBytes);
                        assertEquals(new Shape(7, 5), mapped.getShape());
                        assertEquals(target, mapped.getDataType());
                        assertArrayEquals(once.toType(DataType.FLOAT64, false).toDoubleArray(),
                                mapped.toType(DataType.FLOAT64, false).toDoubleArray(), target + ", " + mapBytes + " bytes mapped");
                    }
                }
                // bf16 keeps 8 bits of mantissa: the loaded values are the originals rounded to bf16
                float[] loaded = whole.toFloatArray();
                for (int i = 0; i < values.length; i++) {
                    assertEquals(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(values[i])), loaded[i], 0f);
                }
            }
        }
    }
}
