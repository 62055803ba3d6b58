package dev.tunelab.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.LanguageModel;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.io.BpeTrainer;
import dev.tunelab.io.ChatTokenizers;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.train.ChatTemplate.Message;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model's own chat template in SFT: the whole conversation tokenized as one text, the loss on the
 * assistant messages and the token that ends their turn only, no BOS of the tokenizer's on top of
 * the template's. The tokenizers have one token per byte, so the trained tokens decode to exactly
 * the characters that were marked, which are written out by hand from each family's format.
 */
class ModelChatTemplateTest {
    static final long X = Losses.IGNORE_INDEX;
    // system, two exchanges; the second exchange padded with spaces (templates differ in trimming)
    static final List<Message> A = List.of(Message.system("You are terse."), Message.user("Hi"), Message.assistant("Hello!"),
            Message.user("  Who are you? "), Message.assistant(" A bot. "));

    /** The decoded runs of consecutive trained tokens. */
    static List<String> trainedRuns(Tokenizer tok, SftSequence s) {
        List<String> runs = new ArrayList<>();
        List<Long> run = new ArrayList<>();
        for (int t = 0; t <= s.length(); t++) {
            if (t < s.length() && s.labels()[t] != X) {
                run.add(s.ids()[t]);
            } else if (!run.isEmpty()) {
                runs.add(tok.decode(run.stream().mapToLong(Long::longValue).toArray(), false));
                run.clear();
            }
        }
        return runs;
    }

    static void assertAssistantOnly(Path dir, ChatTokenizers.Family family, List<String> expected) {
        try (Tokenizer tok = ChatTokenizers.create(dir, family, true)) {
            ModelChatTemplate template = ModelChatTemplate.of(tok);
            SftSequence s = new SftEncoder<>(tok, template, 1024, false).encode(A);
            // the ids are the rendered conversation tokenized as one text, with nothing added
            assertArrayEquals(tok.encode(tok.applyChatTemplate(AssistantSpans.asMaps(A, null), false), false), s.ids());
            assertEquals(expected, trainedRuns(tok, s));
        }
    }

    @Test
    void llama3TrainsTheTrimmedAnswersAndEotId(@TempDir Path tmp) {
        assertAssistantOnly(tmp, ChatTokenizers.LLAMA3, List.of("Hello!<|eot_id|>", "A bot.<|eot_id|>"));
    }

    @Test
    void llama31(@TempDir Path tmp) {
        assertAssistantOnly(tmp, ChatTokenizers.LLAMA31, List.of("Hello!<|eot_id|>", "A bot.<|eot_id|>"));
    }

    @Test
    void mistralV01TrainsTheAnswersAsWrittenAndEos(@TempDir Path tmp) {
        // " " + content + "</s>": the template's space is not the assistant's, the content's own spaces are
        assertAssistantOnly(tmp, ChatTokenizers.MISTRAL01, List.of("Hello!</s>", " A bot. </s>"));
    }

    @Test
    void mistralV03WhoseTextIsNotPrefixStable(@TempDir Path tmp) {
        // v0.3 moves the system message into the last user turn: the rendering of a conversation
        // does not start with the rendering of its first messages, the spans are still found
        assertAssistantOnly(tmp, ChatTokenizers.MISTRAL03, List.of("Hello!</s>", "A bot.</s>"));
    }

    @Test
    void qwen25(@TempDir Path tmp) {
        assertAssistantOnly(tmp, ChatTokenizers.QWEN25, List.of("Hello!<|im_end|>", " A bot. <|im_end|>"));
    }

    @Test
    void zephyr(@TempDir Path tmp) {
        assertAssistantOnly(tmp, ChatTokenizers.ZEPHYR, List.of("Hello!</s>", " A bot. </s>"));
    }

    @Test
    void smolLm2(@TempDir Path tmp) {
        assertAssistantOnly(tmp, ChatTokenizers.SMOLLM2, List.of("Hello!<|im_end|>", " A bot. <|im_end|>"));
    }

    @Test
    void aTemplateThatWritesBosGetsNoSecondOne(@TempDir Path tmp) {
        try (Tokenizer tok = ChatTokenizers.create(tmp, ChatTokenizers.LLAMA3, true)) {
            long bos = tok.bosId().getAsLong();
            assertTrue(tok.addsBos(), "the tokenizer itself adds BOS (add_bos_token: true)");
            List<Message> question = List.of(Message.user("Hi"));
            ModelChatTemplate template = ModelChatTemplate.of(tok);
            SftEncoder<List<Message>> enc = new SftEncoder<>(tok, template, 256, false);
            long[] ids = enc.encode(A).ids();
            long[] prompt = enc.promptIds(question);
            assertEquals(1, Arrays.stream(ids).filter(i -> i == bos).count());
            assertEquals(bos, ids[0]);
            assertArrayEquals(tok.encode("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                    + "<|start_header_id|>assistant<|end_header_id|>\n\n", false), prompt);
            assertEquals(1, Arrays.stream(prompt).filter(i -> i == bos).count());
            // ChatML chosen explicitly writes no BOS itself, so the tokenizer's is added
            assertEquals(bos, ChatTemplate.CHATML.promptIds(question, tok)[0]);
        }
    }

    @Test
    void aTokenStraddlingTheTemplatesTextAndTheAnswerIsTrained(@TempDir Path tmp) throws Exception {
        // bytebpe has "Ġworld" (28) and "hello" (23); "world" alone is w, or, l, d
        Path dir = tmp.resolve("bpe");
        Files.createDirectories(dir);
        Files.copy(Path.of(getClass().getResource("/tokenizer/bytebpe/tokenizer.json").toURI()), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\", \"chat_template\":"
                + " \"{% for m in messages %}{% if m.role == 'user' %}<s>{{ m.content }}{% else %} {{ m.content }}</s>{% endif %}{% endfor %}\"}");
        try (Tokenizer tok = Tokenizer.load(dir)) {
            SftSequence s = new SftEncoder<>(tok, ModelChatTemplate.of(tok), 64, false)
                    .encode(List.of(Message.user("hello"), Message.assistant("world")));
            assertArrayEquals(new long[] {1, 23, 28, 2}, s.ids()); // "<s>hello world</s>" as one text
            assertArrayEquals(new long[] {X, X, 28, 2}, s.labels()); // "Ġworld" holds the template's space and the answer
        }
    }

    @Test
    void rendersLikeChatMlWhenTheTemplateIsChatMl(@TempDir Path tmp) throws Exception {
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            docs.add("Once upon a time there was a cat. The cat said hello to the dog, who are you?");
        }
        BpeTrainer.builder().vocabSize(300).addBosToken(false).build().train(docs).save(tmp);
        try (Tokenizer tok = Tokenizer.load(tmp)) {
            assertEquals(BpeTrainer.CHATML_TEMPLATE, tok.chatTemplate().orElseThrow());
            ModelChatTemplate model = ChatTemplate.forModel(tok);
            SftSequence jinja = new SftEncoder<>(tok, model, 512, false).encode(A);
            SftSequence java = new SftEncoder<>(tok, ChatTemplate.CHATML, 512, false).encode(A);
            assertArrayEquals(java.ids(), jinja.ids());
            assertArrayEquals(java.labels(), jinja.labels());
            assertEquals(ChatTemplate.CHATML.prompt(A), model.prompt(A));
            assertEquals(Optional.of("<|im_end|>"), model.endOfTurn());
        }
    }

    @Test
    void promptDropsTheLastAnswerAndAsksForTheNext(@TempDir Path tmp) {
        try (Tokenizer tok = ChatTokenizers.create(tmp, ChatTokenizers.ZEPHYR, false)) {
            assertEquals("<|system|>\nYou are terse.</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello!</s>\n"
                    + "<|user|>\n  Who are you? </s>\n<|assistant|>\n", ModelChatTemplate.of(tok).prompt(A));
            assertEquals(Optional.of("</s>"), ModelChatTemplate.of(tok).endOfTurn());
        }
    }

    @Test
    void aTemplateThatWritesAnAnswerTwiceIsRefusedByName(@TempDir Path tmp) {
        try (Tokenizer tok = ChatTokenizers.create(tmp, List.of("<s>", "</s>"), "<s>", "</s>", false,
                "{% for m in messages %}{{ m.content }}|{{ m.content }}{% endfor %}")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ModelChatTemplate.of(tok).render(List.of(Message.user("q"), Message.assistant("a"))));
            assertTrue(e.getMessage().contains("message 1") && e.getMessage().contains("more than once"), e.getMessage());
        }
    }

    @Test
    void chatPromptsWithTheModelsTemplateAndOneBos(@TempDir Path tmp) {
        Tokenizer tok = ChatTokenizers.create(tmp, ChatTokenizers.LLAMA3, true);
        LlamaConfig c = LlamaConfig.builder().vocabSize(tok.vocabSize()).hiddenSize(16).intermediateSize(32).layers(1).heads(2)
                .kvHeads(1).maxPositions(128).build();
        try (LanguageModel lm = new LanguageModel(LlamaModel.create(c, 3), tok)) {
            List<Message> question = List.of(Message.user("Hi"));
            long[] prompt = lm.chat(question, GenerationConfig.greedy().maxNewTokens(2)).prompt();
            assertArrayEquals(tok.encode(tok.applyChatTemplate(AssistantSpans.asMaps(question, null), true), false), prompt);
            assertEquals(1, Arrays.stream(prompt).filter(i -> i == tok.bosId().getAsLong()).count());
        }
    }
}
