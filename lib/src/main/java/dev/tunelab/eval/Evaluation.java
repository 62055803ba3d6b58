package dev.tunelab.eval;

import dev.tunelab.LanguageModel;
import dev.tunelab.display.ProgressBar;
import dev.tunelab.generate.Generation;
import dev.tunelab.generate.GenerationConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Runs a model over a held-out set of prompts with reference answers and scores every output:
 * SQuAD exact match and token F1, sentence BLEU, ROUGE-1/2/L, optionally the cosine of
 * mean-pooled embeddings and the reference answer's likelihood under the model. The summary adds
 * corpus BLEU (sacreBLEU), distinct-1/2 and self-BLEU of the outputs. All overlap scores are
 * percentages (0..100) so that they share one chart.
 *
 * <pre>{@code
 * var eval = Evaluation.on(prompts, references).generation(GenerationConfig.greedy().maxNewTokens(48));
 * EvaluationResult base = eval.run("base", baseModel);
 * EvaluationResult tuned = eval.run("tuned", tunedModel);
 * Comparison c = Evaluation.compare(base, tuned); // table with deltas and a chart
 * }</pre>
 */
public final class Evaluation {
    private final List<String> prompts;
    private final List<List<String>> references;
    private final Function<String, String> promptFormat;
    private final GenerationConfig generation;
    private final int batchSize;
    private final boolean stemming;
    private final boolean referenceLikelihood;
    private final LanguageModel embedder;

    private Evaluation(List<String> prompts, List<List<String>> references, Function<String, String> promptFormat,
            GenerationConfig generation, int batchSize, boolean stemming, boolean referenceLikelihood, LanguageModel embedder) {
        this.prompts = prompts;
        this.references = references;
        this.promptFormat = promptFormat;
        this.generation = generation;
        this.batchSize = batchSize;
        this.stemming = stemming;
        this.referenceLikelihood = referenceLikelihood;
        this.embedder = embedder;
    }

    /** A held-out set with one reference answer per prompt. */
    public static Evaluation on(List<String> prompts, List<String> references) {
        Objects.requireNonNull(references, "references");
        for (int i = 0; i < references.size(); i++) {
            if (references.get(i) == null) {
                throw new IllegalArgumentException("reference " + i + " is null");
            }
        }
        return onMany(prompts, references.stream().map(List::of).toList());
    }

    /**
     * A held-out set built from examples of any kind, for instance Alpaca rows with a prompt
     * template: {@code Evaluation.fromExamples(rows, template::prompt, AlpacaExample::output)}.
     */
    public static <T> Evaluation fromExamples(List<T> examples, Function<T, String> prompt, Function<T, String> reference) {
        List<String> prompts = new ArrayList<>();
        List<String> references = new ArrayList<>();
        for (T example : examples) {
            prompts.add(prompt.apply(example));
            references.add(reference.apply(example));
        }
        return on(prompts, references);
    }

    /** A held-out set with one or more reference answers per prompt (scores take the best match, BLEU all). */
    public static Evaluation onMany(List<String> prompts, List<List<String>> references) {
        Objects.requireNonNull(prompts, "prompts");
        Objects.requireNonNull(references, "references");
        if (prompts.size() != references.size()) {
            throw new IllegalArgumentException(prompts.size() + " prompts but " + references.size() + " reference lists");
        }
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("the held-out set is empty");
        }
        for (int i = 0; i < prompts.size(); i++) {
            if (prompts.get(i) == null) {
                throw new IllegalArgumentException("prompt " + i + " is null");
            }
            if (references.get(i) == null || references.get(i).isEmpty()
                    || references.get(i).stream().anyMatch(Objects::isNull)) {
                throw new IllegalArgumentException("example " + i + " needs at least one non-null reference");
            }
        }
        return new Evaluation(List.copyOf(prompts), references.stream().map(List::copyOf).toList(), Function.identity(),
                GenerationConfig.greedy(), 8, true, true, null);
    }

    // Settings return a new Evaluation, so one held-out set can be run under several settings.

    /** How outputs are generated (default: greedy, 64 new tokens). */
    public Evaluation generation(GenerationConfig config) {
        return new Evaluation(prompts, references, promptFormat, Objects.requireNonNull(config, "config"), batchSize,
                stemming, referenceLikelihood, embedder);
    }

    /**
     * What the model is actually given for each prompt, for example an instruction template or a
     * few-shot prefix (a "prompted" base model); the tables still show the plain prompt.
     */
    public Evaluation promptFormat(Function<String, String> format) {
        return new Evaluation(prompts, references, Objects.requireNonNull(format, "format"), generation, batchSize,
                stemming, referenceLikelihood, embedder);
    }

    /** Prompts generated and scored together (default 8). */
    public Evaluation batchSize(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + n);
        }
        return new Evaluation(prompts, references, promptFormat, generation, n, stemming, referenceLikelihood, embedder);
    }

    /** Porter stemming in ROUGE (default on, as most summarisation papers report). */
    public Evaluation stemming(boolean on) {
        return new Evaluation(prompts, references, promptFormat, generation, batchSize, on, referenceLikelihood, embedder);
    }

    /** Score the reference answers' likelihood under the evaluated model (default on). */
    public Evaluation referenceLikelihood(boolean on) {
        return new Evaluation(prompts, references, promptFormat, generation, batchSize, stemming, on, embedder);
    }

    /** Adds the cosine similarity of output and reference under this model's mean-pooled embeddings. */
    public Evaluation embedder(LanguageModel model) {
        return new Evaluation(prompts, references, promptFormat, generation, batchSize, stemming, referenceLikelihood, model);
    }

    public int size() {
        return prompts.size();
    }

    public List<String> prompts() {
        return prompts;
    }

    /** Generates an output for every prompt with {@code model} and scores it. */
    public EvaluationResult run(String name, LanguageModel model) {
        List<String> modelPrompts = formattedPrompts();
        List<String> outputs = new ArrayList<>();
        List<String> finishReasons = new ArrayList<>();
        ProgressBar bar = ProgressBar.start("generate " + name, prompts.size());
        for (int from = 0; from < prompts.size(); from += batchSize) {
            for (Generation g : model.generate(modelPrompts.subList(from, Math.min(from + batchSize, prompts.size())), generation)) {
                outputs.add(g.text());
                finishReasons.add(g.finishReason());
            }
            bar.step(outputs.size());
        }
        bar.finish();
        Table table = scoreTable(name, outputs);
        table.addColumns(StringColumn.create("finish_reason", finishReasons));
        Map<String, Double> summary = summary(outputs, table);
        if (referenceLikelihood) {
            addReferenceLikelihood(model, modelPrompts, table, summary);
        }
        return new EvaluationResult(name, table, summary);
    }

    /** Scores outputs made elsewhere (a rule, an API, a saved run), one per prompt. */
    public EvaluationResult score(String name, List<String> outputs) {
        if (outputs.size() != prompts.size()) {
            throw new IllegalArgumentException(outputs.size() + " outputs for " + prompts.size() + " prompts");
        }
        for (int i = 0; i < outputs.size(); i++) {
            if (outputs.get(i) == null) {
                throw new IllegalArgumentException("output " + i + " is null");
            }
        }
        Table table = scoreTable(name, outputs);
        return new EvaluationResult(name, table, summary(outputs, table));
    }

    /** Side by side: every summary metric of both results with the change from baseline to tuned. */
    public static Comparison compare(EvaluationResult baseline, EvaluationResult tuned) {
        return new Comparison(baseline, tuned);
    }

    private Table scoreTable(String name, List<String> outputs) {
        int n = outputs.size();
        IntColumn index = IntColumn.create("example");
        DoubleColumn em = DoubleColumn.create("exact_match");
        DoubleColumn f1 = DoubleColumn.create("token_f1");
        DoubleColumn bleu = DoubleColumn.create("bleu");
        DoubleColumn r1 = DoubleColumn.create("rouge1");
        DoubleColumn r2 = DoubleColumn.create("rouge2");
        DoubleColumn rl = DoubleColumn.create("rougeL");
        IntColumn words = IntColumn.create("output_words");
        for (int i = 0; i < n; i++) {
            String out = outputs.get(i);
            List<String> refs = references.get(i);
            index.append(i);
            em.append(100 * Squad.exactMatch(out, refs));
            f1.append(100 * Squad.f1(out, refs));
            bleu.append(Bleu.sentence(out, refs).score());
            // rouge-score takes one target; with several references the best F of each variant counts.
            double[] rouge = bestRouge(refs, out);
            r1.append(100 * rouge[0]);
            r2.append(100 * rouge[1]);
            rl.append(100 * rouge[2]);
            words.append(Text.split(out).size());
        }
        Table table = Table.create(name, index,
                StringColumn.create("prompt", prompts),
                StringColumn.create("reference", references.stream().map(r -> r.get(0)).toList()),
                StringColumn.create("output", outputs),
                em, f1, bleu, r1, r2, rl, words);
        if (embedder != null) {
            double[] cos = Embeddings.similarity(embedder, outputs, references.stream().map(r -> r.get(0)).toList());
            table.addColumns(DoubleColumn.create("embedding_cosine", cos));
        }
        return table;
    }

    private double[] bestRouge(List<String> refs, String output) {
        double[] best = new double[3];
        for (String ref : refs) {
            Rouge.RougeScores s = Rouge.score(ref, output, stemming);
            best[0] = Math.max(best[0], s.rouge1().fmeasure());
            best[1] = Math.max(best[1], s.rouge2().fmeasure());
            best[2] = Math.max(best[2], s.rougeL().fmeasure());
        }
        return best;
    }

    private Map<String, Double> summary(List<String> outputs, Table table) {
        Map<String, Double> s = new LinkedHashMap<>();
        s.put("examples", (double) outputs.size());
        for (String metric : List.of("exact_match", "token_f1")) {
            s.put(metric, table.doubleColumn(metric).mean());
        }
        s.put("bleu", Bleu.corpus(outputs, references).score());
        for (String metric : List.of("rouge1", "rouge2", "rougeL")) {
            s.put(metric, table.doubleColumn(metric).mean());
        }
        s.put("distinct_1", 100 * Diversity.distinctN(outputs, 1));
        s.put("distinct_2", 100 * Diversity.distinctN(outputs, 2));
        if (outputs.size() >= 2) {
            s.put("self_bleu", Diversity.selfBleu(outputs));
        }
        s.put("output_words", table.intColumn("output_words").mean());
        if (table.containsColumn("embedding_cosine")) {
            s.put("embedding_cosine", table.doubleColumn("embedding_cosine").mean());
        }
        return s;
    }

    private List<String> formattedPrompts() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            String p = promptFormat.apply(prompts.get(i));
            if (p == null) {
                throw new IllegalStateException("the prompt format returned null for prompt " + i);
            }
            out.add(p);
        }
        return out;
    }

    private void addReferenceLikelihood(LanguageModel model, List<String> modelPrompts, Table table, Map<String, Double> summary) {
        List<ReferenceNll.Score> scores = ReferenceNll.of(model, modelPrompts,
                references.stream().map(r -> r.get(0)).toList(), batchSize);
        DoubleColumn nll = DoubleColumn.create("reference_nll");
        double sum = 0;
        long tokens = 0;
        for (ReferenceNll.Score sc : scores) {
            nll.append(sc.tokens() == 0 ? Double.NaN : sc.nllSum() / sc.tokens());
            sum += sc.nllSum();
            tokens += sc.tokens();
        }
        table.addColumns(nll);
        if (tokens > 0) {
            summary.put("reference_perplexity", Math.exp(sum / tokens));
        }
    }
}
