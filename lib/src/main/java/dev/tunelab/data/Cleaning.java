package dev.tunelab.data;

import dev.tunelab.io.Tokenizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A cleaning pipeline: the checks of {@link DataReport} as filters, applied in the order they
 * are added, each recording what it removed (or changed) and why.
 *
 * <pre>{@code
 * Cleaned<AlpacaExample> c = Cleaning.of(train)
 *         .dropExactDuplicates().dropNearDuplicates()
 *         .dropEmptyFields().dropTruncatedResponses()
 *         .maskPii()
 *         .maxTokens(tokenizer, 512)
 *         .decontaminate(heldOut)
 *         .run();
 * c;                         // what each step removed
 * c.removed();               // every removed row with its step and reason
 * c.writeJsonl(path);        // the cleaned rows, each with its provenance
 * }</pre>
 */
public final class Cleaning<T extends Example> {

    /** One row on its way through the pipeline: where it came from, and PII masked in it so far. */
    record Item<T>(int source, T example, int masked) {}

    /** A removal: the step, the source row, why. */
    public record Removal(String step, int row, String reason) {}

    /** One step: its name, the rule it applies, and what it does to the rows still in. */
    interface Step<T extends Example> {
        String name();

        String rule();

        /** The rows kept (possibly changed); removals go to {@code removed}. */
        List<Item<T>> apply(List<Item<T>> in, List<Removal> removed);
    }

    private final Dataset<T> data;
    private final List<Step<T>> steps = new ArrayList<>();

    private Cleaning(Dataset<T> data) {
        this.data = Objects.requireNonNull(data, "data");
    }

    public static <T extends Example> Cleaning<T> of(Dataset<T> data) {
        return new Cleaning<>(data);
    }

    /** Keeps the first of rows whose text is the same once whitespace is collapsed. */
    public Cleaning<T> dropExactDuplicates() {
        return add(DataReport.EXACT_DUPLICATE, "same text as an earlier kept row, whitespace collapsed", (in, removed) -> {
            java.util.Map<Hashing.Key, Integer> first = new java.util.HashMap<>();
            List<Item<T>> out = new ArrayList<>();
            for (Item<T> it : in) {
                Integer j = first.putIfAbsent(Hashing.key(Hashing.normalizeWhitespace(it.example().text())), it.source());
                if (j == null) out.add(it);
                else removed.add(new Removal(DataReport.EXACT_DUPLICATE, it.source(), "repeats row " + j));
            }
            return out;
        });
    }

    /** Word 5-gram Jaccard >= 0.8 with a kept row (Lee et al. 2022), see {@link NearDuplicates}. */
    public Cleaning<T> dropNearDuplicates() {
        return dropNearDuplicates(5, 0.8);
    }

    public Cleaning<T> dropNearDuplicates(int n, double threshold) {
        new NearDuplicates(n, threshold); // validates now, not at run()
        return add(DataReport.NEAR_DUPLICATE, "word " + n + "-gram Jaccard >= " + threshold + " with an earlier kept row", (in, removed) -> {
            NearDuplicates nd = new NearDuplicates(n, threshold);
            List<Item<T>> out = new ArrayList<>();
            for (Item<T> it : in) {
                NearDuplicates.Match m = nd.addAt(it.example().text(), it.source());
                if (m == null) out.add(it);
                else removed.add(new Removal(DataReport.NEAR_DUPLICATE, it.source(), String.format("Jaccard %.2f with row %d", m.similarity(), m.of())));
            }
            return out;
        });
    }

    /** Drops rows where a field that needs text (not Alpaca's input, Dolly's context) is empty or whitespace. */
    public Cleaning<T> dropEmptyFields() {
        return dropWhere(DataReport.EMPTY_FIELD, "a field that needs text is empty or whitespace", e -> {
            Set<String> optional = ExampleFields.optional(e);
            List<String> empty = ExampleFields.of(e).entrySet().stream()
                    .filter(f -> f.getValue().isBlank() && !optional.contains(f.getKey())).map(java.util.Map.Entry::getKey).toList();
            return empty.isEmpty() ? null : "empty: " + String.join(", ", empty);
        });
    }

    /** Drops rows whose response ends as cut-off text does (see {@link DataReport#TRUNCATED_RESPONSE}). */
    public Cleaning<T> dropTruncatedResponses() {
        return dropWhere(DataReport.TRUNCATED_RESPONSE, "a response ends with , : ; ( or -, or inside an unclosed ``` block", e -> {
            for (var r : ExampleFields.responses(e).entrySet()) {
                String why = Truncation.problem(r.getValue());
                if (why != null) return r.getKey() + " " + why;
            }
            return null;
        });
    }

    /** Replaces personal data in every text field with {@code <KIND>} (see {@link Pii}); removes nothing. */
    public Cleaning<T> maskPii() {
        return add("mask personal data", "e-mail, phone, Luhn-valid card and IPv4 replaced by <KIND>", (in, removed) -> {
            List<Item<T>> out = new ArrayList<>();
            for (Item<T> it : in) {
                int hits = Pii.find(it.example().text()).size();
                out.add(hits == 0 ? it : new Item<>(it.source(), ExampleFields.mapText(it.example(), Pii::mask), it.masked() + hits));
            }
            return out;
        });
    }

    /** Drops rows that hold personal data (see {@link Pii}). */
    public Cleaning<T> dropPii() {
        return dropWhere(DataReport.PII, "an e-mail, phone, Luhn-valid card number or IPv4 address", e -> {
            List<Pii.Hit> hits = Pii.find(e.text());
            return hits.isEmpty() ? null : hits.get(0).kind() + " " + hits.get(0).value() + (hits.size() > 1 ? " (+" + (hits.size() - 1) + ")" : "");
        });
    }

    /** Drops rows whose text is longer than {@code max} tokens (so a trainer would cut them). */
    public Cleaning<T> maxTokens(Tokenizer tokenizer, int max) {
        Objects.requireNonNull(tokenizer, "tokenizer");
        if (max < 1) throw new IllegalArgumentException("maxTokens must be >= 1, got " + max);
        return dropWhere(DataReport.OVER_CONTEXT, "text longer than " + max + " tokens", e -> {
            int n = tokenizer.encode(e.text(), false).length;
            return n > max ? n + " tokens" : null;
        });
    }

    /** Drops rows whose text is longer than {@code max} characters. */
    public Cleaning<T> maxCharacters(int max) {
        if (max < 1) throw new IllegalArgumentException("maxCharacters must be >= 1, got " + max);
        return dropWhere(DataReport.OVER_CONTEXT, "text longer than " + max + " characters",
                e -> e.text().length() > max ? e.text().length() + " characters" : null);
    }

    /** Drops rows sharing a word 13-gram with a held-out row (GPT-3's test; see {@link DataReport}). */
    public Cleaning<T> decontaminate(Dataset<? extends Example> heldOut) {
        return decontaminate(heldOut, 13);
    }

    public Cleaning<T> decontaminate(Dataset<? extends Example> heldOut, int n) {
        if (n < 1) throw new IllegalArgumentException("n must be >= 1, got " + n);
        Contamination c = Contamination.of(heldOut, n);
        return dropWhere(DataReport.HELD_OUT_OVERLAP, "shares a word " + n + "-gram with a row of " + heldOut.name(), e -> {
            int[] m = c.match(e.text());
            return m == null ? null : m[1] + " shared " + n + "-gram" + (m[1] == 1 ? "" : "s") + " with held-out row " + m[0];
        });
    }

    /** Drops rows {@link EnglishCheck} flags. */
    public Cleaning<T> dropNonEnglish() {
        return dropWhere(DataReport.NOT_ENGLISH, "not English by EnglishCheck's heuristic", e -> EnglishCheck.problem(e.text()));
    }

    /** A step of the caller's: drops rows where {@code drop} holds. */
    public Cleaning<T> drop(String name, String rule, Predicate<? super T> drop) {
        return dropWhere(name, rule, e -> drop.test(e) ? rule : null);
    }

    /** A step that drops rows for which {@code why} gives a reason (null keeps the row). */
    public Cleaning<T> dropWhere(String name, String rule, java.util.function.Function<? super T, String> why) {
        return add(name, rule, (in, removed) -> {
            List<Item<T>> out = new ArrayList<>();
            for (Item<T> it : in) {
                String reason = why.apply(it.example());
                if (reason == null) out.add(it);
                else removed.add(new Removal(name, it.source(), reason));
            }
            return out;
        });
    }

    private interface Body<T extends Example> {
        List<Item<T>> apply(List<Item<T>> in, List<Removal> removed);
    }

    private Cleaning<T> add(String name, String rule, Body<T> body) {
        Set<String> names = new HashSet<>();
        steps.forEach(s -> names.add(s.name()));
        if (names.contains(name)) throw new IllegalArgumentException("the pipeline already has a step '" + name + "'");
        steps.add(new Step<>() {
            public String name() {
                return name;
            }

            public String rule() {
                return rule;
            }

            public List<Item<T>> apply(List<Item<T>> in, List<Removal> removed) {
                return body.apply(in, removed);
            }
        });
        return this;
    }

    /** Runs the steps in order. */
    public Cleaned<T> run() {
        List<Item<T>> items = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) items.add(new Item<>(i, data.get(i), 0));
        List<Removal> removed = new ArrayList<>();
        List<Cleaned.StepResult> results = new ArrayList<>();
        for (Step<T> s : steps) {
            int before = items.size();
            int removedBefore = removed.size();
            java.util.Map<Integer, Integer> maskedBefore = new java.util.HashMap<>();
            items.forEach(it -> maskedBefore.put(it.source(), it.masked()));
            items = s.apply(items, removed);
            int masked = items.stream().mapToInt(it -> it.masked() - maskedBefore.get(it.source())).sum();
            results.add(new Cleaned.StepResult(s.name(), s.rule(), before, removed.size() - removedBefore, masked, items.size()));
        }
        return new Cleaned<>(data, items, removed, results);
    }
}
