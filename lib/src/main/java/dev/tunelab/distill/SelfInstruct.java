package dev.tunelab.distill;

import dev.tunelab.LanguageModel;
import dev.tunelab.data.Lexicon;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import dev.tunelab.generate.Generation;
import dev.tunelab.generate.GenerationConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Self-Instruct bootstrapping (Wang et al. 2023): new instructions are generated from a pool that
 * starts as the seed instructions. Each request shows the model {@code demos} instructions drawn
 * from the pool (the paper's 8: 6 seeds and 2 generated ones once there are any) and asks for
 * one more; a new instruction joins the pool only when it is {@code minWords}..{@code maxWords}
 * words long and its ROUGE-L with everything in the pool is below 0.7 ({@link RougeNovelty}).
 * Rounds continue until the pool has grown by {@code target} or {@code maxRequests} were made.
 *
 * <pre>{@code
 * var result = SelfInstruct.builder(seeds, SelfInstruct.fromModel(lm, GenerationConfig.sample(1.0).maxNewTokens(32)))
 *         .target(50).seed(1).build().run();
 * result.generated();   // the new instructions
 * }</pre>
 */
public final class SelfInstruct {
    /** Writes one candidate instruction per demonstration list (a batch of requests at once). */
    @FunctionalInterface
    public interface Proposer {
        List<String> propose(List<List<String>> demonstrations, long seed);
    }

    /**
     * A proposer from a language model: the demonstrations as lines {@code "Instruction: ..."},
     * then {@code "Instruction:"}; the model's line, up to the first newline, is the candidate.
     */
    public static Proposer fromModel(LanguageModel lm, GenerationConfig sampling) {
        return (demos, seed) -> {
            List<String> prompts = demos.stream().map(SelfInstruct::prompt).toList();
            List<Generation> out = lm.generate(prompts, sampling.stopStrings("\n").seed(seed));
            return out.stream().map(g -> g.text().strip()).toList();
        };
    }

    /** The request shown to a model: one {@code Instruction:} line per demonstration, then an open one. */
    public static String prompt(List<String> demonstrations) {
        StringBuilder s = new StringBuilder();
        for (String d : demonstrations) s.append("Instruction: ").append(d.strip()).append('\n');
        return s.append("Instruction:").toString();
    }

    private final List<String> seeds;
    private final Proposer proposer;
    private final int target;
    private final int demos;
    private final int seedDemos;
    private final int batchSize;
    private final int maxRequests;
    private final int minWords;
    private final int maxWords;
    private final double threshold;
    private final long seed;

    private SelfInstruct(Builder b) {
        this.seeds = List.copyOf(b.seeds);
        this.proposer = b.proposer;
        this.target = b.target;
        this.demos = b.demos;
        this.seedDemos = b.seedDemos;
        this.batchSize = b.batchSize;
        this.maxRequests = b.maxRequests;
        this.minWords = b.minWords;
        this.maxWords = b.maxWords;
        this.threshold = b.threshold;
        this.seed = b.seed;
    }

    public static Builder builder(List<String> seeds, Proposer proposer) {
        return new Builder(seeds, proposer);
    }

    public static final class Builder {
        private final List<String> seeds;
        private final Proposer proposer;
        private int target = 50;
        private int demos = 8;
        private int seedDemos = 6;
        private int batchSize = 16;
        private int maxRequests = 1000;
        private int minWords = 3;
        private int maxWords = 150;
        private double threshold = RougeNovelty.SELF_INSTRUCT_THRESHOLD;
        private long seed = 0;

        private Builder(List<String> seeds, Proposer proposer) {
            if (seeds.isEmpty()) throw new IllegalArgumentException("Self-Instruct needs at least one seed instruction");
            this.seeds = seeds;
            this.proposer = Objects.requireNonNull(proposer);
        }

        /** New instructions wanted. Default 50. */
        public Builder target(int v) { target = v; return this; }
        /** Instructions shown per request, and how many of them are seeds (the paper: 8 and 6). */
        public Builder demonstrations(int total, int fromSeeds) {
            if (fromSeeds > total || total < 1) throw new IllegalArgumentException("need 1 <= fromSeeds <= total, got " + fromSeeds + ", " + total);
            demos = total;
            seedDemos = fromSeeds;
            return this;
        }
        /** Requests per call of the proposer. Default 16. */
        public Builder batchSize(int v) { batchSize = v; return this; }
        /** Give up after this many requests. Default 1000. */
        public Builder maxRequests(int v) { maxRequests = v; return this; }
        /** Length limits in words (the paper keeps 3..150). */
        public Builder words(int min, int max) { minWords = min; maxWords = max; return this; }
        /** ROUGE-L threshold of the novelty filter. Default 0.7. */
        public Builder threshold(double v) { threshold = v; return this; }
        public Builder seed(long v) { seed = v; return this; }

        public SelfInstruct build() {
            return new SelfInstruct(this);
        }
    }

    /** One candidate: its text, the highest ROUGE-L against the pool, and why it was dropped (null when kept). */
    public record Proposal(String text, double maxRougeL, String rejected) {}

    /** The seeds, what was generated and kept, and every proposal. Renders as the proposals table. */
    public record Result(List<String> seeds, List<String> generated, List<Proposal> proposals) implements Renderable {
        /** Seeds plus the kept instructions. */
        public List<String> pool() {
            List<String> p = new ArrayList<>(seeds);
            p.addAll(generated);
            return p;
        }

        public double acceptanceRate() {
            return proposals.isEmpty() ? 0 : (double) generated.size() / proposals.size();
        }

        public Table table() {
            return Table.create("self-instruct: " + generated.size() + " of " + proposals.size() + " proposals kept",
                    StringColumn.create("proposal", proposals.stream().map(Proposal::text).toList()),
                    DoubleColumn.create("max ROUGE-L", proposals.stream().mapToDouble(Proposal::maxRougeL).toArray()),
                    StringColumn.create("dropped", proposals.stream().map(p -> p.rejected() == null ? "" : p.rejected()).toList()));
        }

        @Override
        public Map<String, String> mimeBundle() {
            return Tables.mimeBundle(table(), 30);
        }
    }

    public Result run() {
        RougeNovelty novelty = new RougeNovelty(threshold, seeds);
        Random random = new Random(seed);
        List<String> generated = new ArrayList<>();
        List<Proposal> proposals = new ArrayList<>();
        int requests = 0;
        while (generated.size() < target && requests < maxRequests) {
            int n = Math.min(batchSize, maxRequests - requests);
            List<List<String>> demonstrations = new ArrayList<>();
            for (int i = 0; i < n; i++) demonstrations.add(demonstrations(random, generated));
            List<String> candidates = proposer.propose(demonstrations, random.nextLong());
            requests += n;
            for (String text : candidates) {
                if (generated.size() >= target) break;
                Candidate c = new Candidate("", text);
                double rouge = novelty.maxRougeL(text);
                int words = Lexicon.words(text).size();
                String rejected = words < minWords || words > maxWords ? "length (" + words + " words)"
                        : rouge >= threshold ? "too similar (ROUGE-L >= " + threshold + ")" : null;
                if (rejected == null) {
                    novelty.kept(c);
                    generated.add(text);
                }
                proposals.add(new Proposal(text, rouge, rejected));
            }
        }
        return new Result(seeds, generated, proposals);
    }

    /** seedDemos seeds and the rest from the generated ones (seeds fill in while there are too few), shuffled. */
    private List<String> demonstrations(Random random, List<String> generated) {
        int fromGenerated = Math.min(demos - seedDemos, generated.size());
        List<String> out = new ArrayList<>(sample(seeds, Math.min(seeds.size(), demos - fromGenerated), random));
        out.addAll(sample(generated, fromGenerated, random));
        Collections.shuffle(out, random);
        return out;
    }

    private static List<String> sample(List<String> from, int n, Random random) {
        List<String> copy = new ArrayList<>(from);
        Collections.shuffle(copy, random);
        return copy.subList(0, n);
    }
}
