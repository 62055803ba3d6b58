package dev.tunelab.align;

import dev.tunelab.LanguageModel;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import dev.tunelab.generate.Generation;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.train.PromptTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Phase 1 of Constitutional AI (Bai et al. 2022, section 3.1): the model answers a prompt, is
 * asked to critique its answer against a principle drawn at random from the {@link Constitution},
 * then to revise the answer in the light of its critique; supervised fine-tuning on (prompt,
 * revision) follows ({@link #SFT_TEMPLATE}). The prompts are built from {@link Templates}, plain
 * strings with placeholders, in the paper's "Critique Request / Critique / Revision Request /
 * Revision" layout. A base model that was never taught to critique writes poor critiques: measure
 * the revisions (with a judge) before training on them.
 */
public final class CritiqueRevision {
    private CritiqueRevision() {}

    /**
     * The two prompts of a round, with placeholders {@code {prompt}}, {@code {answer}},
     * {@code {critique_request}}, {@code {critique}} and {@code {revision_request}}.
     */
    public record Templates(String critique, String revision) {
        /**
         * For story continuations: the critique is asked after the story; the revision prompt ends
         * with the story's opening again, so the model's continuation of it is the revised story.
         */
        public static Templates stories() {
            return new Templates("{prompt} {answer}\n\nCritique request: {critique_request}\nCritique:",
                    "{prompt} {answer}\n\nCritique request: {critique_request}\nCritique: {critique}\n\n"
                            + "Revision request: {revision_request}\nRevision: {prompt}");
        }

        String critiquePrompt(String prompt, String answer, Constitution.Principle p) {
            return fill(critique, prompt, answer, p, "");
        }

        String revisionPrompt(String prompt, String answer, Constitution.Principle p, String critiqueText) {
            return fill(revision, prompt, answer, p, critiqueText);
        }

        private static String fill(String template, String prompt, String answer, Constitution.Principle p, String critiqueText) {
            return template.replace("{prompt}", prompt).replace("{answer}", answer.strip())
                    .replace("{critique_request}", p.critique()).replace("{revision_request}", p.revision())
                    .replace("{critique}", critiqueText.strip());
        }
    }

    /** One prompt's round: the first answer, the principle drawn, the critique and the revised answer. */
    public record Revision(String prompt, String principle, String answer, String critique, String revised) {}

    /** The revisions as SFT examples: the prompt, then the revised answer as the response. */
    public static final PromptTemplate<Revision> SFT_TEMPLATE =
            PromptTemplate.of("cai-revision", Revision::prompt, r -> " " + r.revised().strip());

    /** A round for every prompt, shown as a table in a notebook. */
    public record Result(List<Revision> revisions) implements Renderable {
        public Table table() {
            return Table.create("critique and revision (" + revisions.size() + " prompts)",
                    StringColumn.create("prompt", revisions.stream().map(Revision::prompt).toList()),
                    StringColumn.create("principle", revisions.stream().map(Revision::principle).toList()),
                    StringColumn.create("answer", revisions.stream().map(Revision::answer).toList()),
                    StringColumn.create("critique", revisions.stream().map(Revision::critique).toList()),
                    StringColumn.create("revision", revisions.stream().map(Revision::revised).toList()));
        }

        public List<String> answers() {
            return revisions.stream().map(Revision::answer).toList();
        }

        public List<String> revised() {
            return revisions.stream().map(Revision::revised).toList();
        }

        @Override
        public Map<String, String> mimeBundle() {
            return Tables.mimeBundle(table());
        }
    }

    /**
     * One critique-and-revision round for each prompt, in three batched generation passes (answers,
     * critiques, revisions), each with {@code generation} and its own seed derived from it.
     *
     * @param critiqueTokens the longest critique; a critique also stops at the end of its line
     * @param seed draws each prompt's principle
     */
    public static Result run(LlamaModel model, Tokenizer tokenizer, List<String> prompts, Constitution constitution,
            Templates templates, GenerationConfig generation, int critiqueTokens, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Constitution.Principle> drawn = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            drawn.add(constitution.get(random.nextInt(constitution.size()))); // the paper samples a principle per round
        }
        List<String> answers = texts(generate(model, tokenizer, prompts, generation));
        List<String> critiquePrompts = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            critiquePrompts.add(templates.critiquePrompt(prompts.get(i), answers.get(i), drawn.get(i)));
        }
        List<String> critiques = texts(generate(model, tokenizer, critiquePrompts,
                generation.maxNewTokens(critiqueTokens).stopStrings("\n").seed(generation.seed() + 1)));
        List<String> revisionPrompts = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            revisionPrompts.add(templates.revisionPrompt(prompts.get(i), answers.get(i), drawn.get(i), critiques.get(i)));
        }
        List<String> revised = texts(generate(model, tokenizer, revisionPrompts, generation.seed(generation.seed() + 2)));
        List<Revision> out = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            out.add(new Revision(prompts.get(i), drawn.get(i).name(), answers.get(i).strip(), critiques.get(i).strip(),
                    revised.get(i).strip()));
        }
        return new Result(out);
    }

    /** Batched generation in evaluation mode (no dropout). */
    static List<Generation> generate(LlamaModel model, Tokenizer tokenizer, List<String> prompts, GenerationConfig config) {
        boolean wasTraining = model.isTraining();
        model.train(false);
        try {
            return LanguageModel.generator(model, tokenizer).generate(prompts.stream().map(tokenizer::encode).toList(), config);
        } finally {
            model.train(wasTraining);
        }
    }

    private static List<String> texts(List<Generation> generations) {
        return generations.stream().map(Generation::text).toList();
    }
}
