package dev.tunelab.distill;

import dev.tunelab.LanguageModel;
import dev.tunelab.io.BpeTrainer;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import java.nio.file.Path;
import java.util.List;

/** What the teacher-loop tests share: a task type, two checks, and a tiny random model whose text is noise. */
final class TinyTeacher {
    record Task(String prompt, List<Check> checks, String group) implements TeacherTask {}

    static final Check ANY = new Check("any", "", c -> true);
    static final Check NEVER = new Check("never", "", c -> false);

    private TinyTeacher() {}

    /** A 300-token BPE tokenizer saved in {@code dir}, trained on two sentences. */
    static Tokenizer tokenizer(Path dir) throws Exception {
        BpeTrainer.builder().vocabSize(300).minFrequency(1).build()
                .train(List.of("Once upon a time, there was a girl named Lily.", "Tim found a ball in the park."))
                .save(dir);
        return Tokenizer.load(dir);
    }

    /** Two layers of width 32 over that tokenizer; a wide init so that sampling varies. */
    static LanguageModel model(Path dir) throws Exception {
        Tokenizer tok = tokenizer(dir);
        LlamaConfig c = LlamaConfig.builder().vocabSize(tok.vocabSize()).hiddenSize(32).intermediateSize(48).layers(2)
                .heads(4).kvHeads(2).maxPositions(128).initializerRange(0.5).build();
        return new LanguageModel(LlamaModel.create(c, 3), tok);
    }
}
