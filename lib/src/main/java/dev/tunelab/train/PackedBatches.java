package dev.tunelab.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

/**
 * Padding-free SFT batches: the tokenized examples are packed several to a row of at most
 * {@code rowTokens} tokens by best-fit decreasing (TRL's default packing strategy, "bfd" in
 * trl/data_utils.py pack_dataset), so a batch spends almost no compute on padding. Each packed
 * batch carries document ids: the model restarts positions at 0 for every example and lets no
 * token attend into another example ({@code LlamaModel.forwardPacked}), and the first token of each
 * example takes no loss (it would be predicted from the previous example's last token), as
 * transformers' DataCollatorWithFlattening writes it. The loss is therefore the unpacked batch's.
 *
 * <p>Rows are made once; epoch e visits them in an order shuffled with (seed, e), and batch i
 * is computed from i alone, so resumed runs see the same batches.
 *
 * <pre>{@code
 * PackedBatches packed = PackedBatches.of(sftBatches, 256, 4); // rows of <= 256 tokens, 4 rows a batch
 * Trainer.fit(lora, packed, heldOut, cfg);
 * }</pre>
 */
public final class PackedBatches implements BatchSource {
    private final List<SftSequence> sequences;
    private final List<int[]> rows; // sequence indices per row, in packing order
    private final int rowTokens;
    private final int rowsPerBatch;
    private final long padId;
    private final long seed;
    private final boolean shuffle;
    private final String fingerprint;

    private PackedBatches(List<SftSequence> sequences, int rowTokens, int rowsPerBatch, long padId, long seed, boolean shuffle,
            String fingerprint) {
        if (rowsPerBatch < 1) {
            throw new IllegalArgumentException("rowsPerBatch must be at least 1, got " + rowsPerBatch);
        }
        for (int i = 0; i < sequences.size(); i++) {
            if (sequences.get(i).length() > rowTokens) {
                throw new IllegalArgumentException("sequence " + i + " has " + sequences.get(i).length() + " tokens, more than a row's "
                        + rowTokens + "; build the SftBatches with maxLength <= rowTokens");
            }
        }
        this.sequences = List.copyOf(sequences);
        this.rowTokens = rowTokens;
        this.rowsPerBatch = rowsPerBatch;
        this.padId = padId;
        this.seed = seed;
        this.shuffle = shuffle;
        this.rows = bestFitDecreasing(this.sequences, rowTokens);
        this.fingerprint = fingerprint;
    }

    /** The examples of {@code sft} packed into rows of at most {@code rowTokens} tokens, {@code rowsPerBatch} rows a batch. */
    public static PackedBatches of(SftBatches sft, int rowTokens, int rowsPerBatch) {
        return new PackedBatches(sft.sequences(), rowTokens, rowsPerBatch, sft.padId(), sft.seed(), sft.shuffled(),
                sft.fingerprint() + ":packed=" + rowTokens + "x" + rowsPerBatch);
    }

    /** Packs given sequences (tests, custom data); rows are shuffled each epoch with {@code seed}. */
    public static PackedBatches of(List<SftSequence> sequences, int rowTokens, int rowsPerBatch, long padId, long seed) {
        return new PackedBatches(sequences, rowTokens, rowsPerBatch, padId, seed, true,
                SftBatches.fingerprint(sequences, "packed:" + rowTokens + "x" + rowsPerBatch + ":seed=" + seed + ":pad=" + padId));
    }

    /**
     * Longest sequence first, each into the row with the least room that still fits it (a new row
     * when none does). Ties go to the earlier row, so the result depends only on the lengths.
     */
    static List<int[]> bestFitDecreasing(List<SftSequence> sequences, int capacity) {
        Integer[] order = new Integer[sequences.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> -sequences.get(i).length()).thenComparingInt(i -> i));
        List<List<Integer>> bins = new ArrayList<>();
        TreeMap<Integer, List<Integer>> byRoom = new TreeMap<>(); // room left -> rows with that room, oldest first
        for (int s : order) {
            int length = sequences.get(s).length();
            var fit = byRoom.ceilingEntry(length);
            int row;
            int room;
            if (fit == null) {
                row = bins.size();
                bins.add(new ArrayList<>());
                room = capacity;
            } else {
                room = fit.getKey();
                row = fit.getValue().remove(0);
                if (fit.getValue().isEmpty()) {
                    byRoom.remove(room);
                }
            }
            bins.get(row).add(s);
            byRoom.computeIfAbsent(room - length, k -> new ArrayList<>()).add(row);
            byRoom.get(room - length).sort(null);
        }
        return bins.stream().map(b -> b.stream().mapToInt(Integer::intValue).toArray()).toList();
    }

    @Override
    public Batch batch(long index) {
        if (index < 0) {
            throw new IllegalArgumentException("batch index must be >= 0, got " + index);
        }
        int n = rows.size();
        List<int[]> chosen = new ArrayList<>();
        for (int k = 0; k < rowsPerBatch; k++) {
            long position = index * rowsPerBatch + k;
            chosen.add(rows.get(SftBatches.epochOrder(n, seed, position / n, shuffle)[(int) (position % n)]));
        }
        int length = chosen.stream().mapToInt(this::rowLength).max().orElse(0);
        long[][] ids = new long[chosen.size()][length];
        long[][] labels = new long[chosen.size()][length];
        long[][] mask = new long[chosen.size()][length];
        long[][] documents = new long[chosen.size()][length];
        for (int r = 0; r < chosen.size(); r++) {
            Arrays.fill(ids[r], padId);
            Arrays.fill(labels[r], Losses.IGNORE_INDEX);
            Arrays.fill(documents[r], -1);
            int at = 0;
            int[] members = chosen.get(r);
            for (int d = 0; d < members.length; d++) {
                SftSequence s = sequences.get(members[d]);
                System.arraycopy(s.ids(), 0, ids[r], at, s.length());
                System.arraycopy(s.labels(), 0, labels[r], at, s.length());
                labels[r][at] = Losses.IGNORE_INDEX; // never predicted from the document before it
                Arrays.fill(mask[r], at, at + s.length(), 1L);
                Arrays.fill(documents[r], at, at + s.length(), d);
                at += s.length();
            }
        }
        return new Batch(ids, labels, mask, documents);
    }

    private int rowLength(int[] members) {
        int n = 0;
        for (int s : members) {
            n += sequences.get(s).length();
        }
        return n;
    }

    @Override
    public String fingerprint() {
        return fingerprint;
    }

    /** The packed rows: indices of the sequences in each, in order. */
    public List<int[]> rows() {
        return rows;
    }

    /** Real tokens over row capacity (rows x rowTokens): how little of a packed batch is padding. */
    public double fill() {
        long tokens = sequences.stream().mapToLong(SftSequence::length).sum();
        return tokens / ((double) rows.size() * rowTokens);
    }

    /** Batches that cover every row once. */
    public int batchesPerEpoch() {
        return (rows.size() + rowsPerBatch - 1) / rowsPerBatch;
    }

    @Override
    public String toString() {
        return String.format("PackedBatches(%d examples in %d rows of <= %d tokens, fill %.1f%%, %d rows a batch)",
                sequences.size(), rows.size(), rowTokens, 100 * fill(), rowsPerBatch);
    }
}
