package dev.tunelab;

import dev.tunelab.export.Gguf;
import dev.tunelab.export.GgufExport;
import dev.tunelab.export.GgufOptions;
import dev.tunelab.generate.Generation;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.generate.Generator;
import dev.tunelab.io.SaveOptions;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.train.ChatTemplate;
import dev.tunelab.train.ChatTemplate.Message;
import dev.tunelab.train.ModelChatTemplate;
import dev.tunelab.train.PromptTemplate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A model with its tokenizer: what {@link Models#load} returns and what a notebook works with.
 * Text in, text out; the parts stay reachable for training ({@link #model()}, {@link #tokenizer()}).
 */
public final class LanguageModel implements AutoCloseable {
    private final LlamaModel model;
    private final Tokenizer tokenizer;

    public LanguageModel(LlamaModel model, Tokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
    }

    public LlamaModel model() {
        return model;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** Continues one prompt. */
    public Generation generate(String prompt, GenerationConfig config) {
        return generate(List.of(prompt), config).get(0);
    }

    /** Continues a batch of prompts together (left-padded, one forward pass per new token). */
    public List<Generation> generate(List<String> prompts, GenerationConfig config) {
        List<long[]> ids = prompts.stream().map(p -> tokenizer.encode(p)).toList();
        return generator().generate(ids, config);
    }

    /**
     * The assistant's answer to a conversation, in the model's own chat format
     * ({@link ChatTemplate#forModel}: the chat template of its tokenizer_config.json): the
     * conversation rendered with {@code add_generation_prompt=True}, tokenized without adding
     * special tokens (the template writes its own BOS), continued until the token that ends the
     * assistant's turn or any other end token ({@link #endTokens}).
     *
     * <pre>{@code
     * lm.chat(List.of(Message.system("Be brief."), Message.user("Hi!")), GenerationConfig.greedy().maxNewTokens(50)).text();
     * }</pre>
     */
    public Generation chat(List<Message> messages, GenerationConfig config) {
        return chat(messages, ChatTemplate.forModel(tokenizer), config);
    }

    /** {@link #chat(List, GenerationConfig)} in a chosen format, e.g. {@link ChatTemplate#CHATML}. */
    public Generation chat(List<Message> messages, PromptTemplate<List<Message>> format, GenerationConfig config) {
        long[] prompt = format.promptIds(messages, tokenizer);
        return chatGenerator(format).generate(List.of(prompt), config).get(0);
    }

    /**
     * The generator {@link #chat} uses for {@code format}: it stops at the token that ends the
     * assistant's turn as well as at every end token. For callers that stream (a server):
     * {@code lm.chatGenerator(f).generate(List.of(f.promptIds(messages, lm.tokenizer())), config, listener)}.
     */
    public Generator chatGenerator(PromptTemplate<List<Message>> format) {
        String endOfTurn = format instanceof ModelChatTemplate m ? m.endOfTurn().orElse(null)
                : format instanceof ChatTemplate ? ChatTemplate.IM_END : null;
        Set<Long> stop = endTokens(model, tokenizer);
        if (endOfTurn != null) {
            tokenizer.tokenToId(endOfTurn).ifPresent(stop::add);
        }
        long pad = tokenizer.padId().orElse(stop.isEmpty() ? 0 : stop.iterator().next());
        return new Generator(model, stop, pad, ids -> tokenizer.decode(ids, true));
    }

    /** A generator for token ids that stops at every end token ({@link #endTokens}) and decodes with this tokenizer. */
    public Generator generator() {
        return generator(model, tokenizer);
    }

    /** As {@link #generator()} for a model and tokenizer not (yet) held together. */
    public static Generator generator(LlamaModel model, Tokenizer tokenizer) {
        Set<Long> eos = endTokens(model, tokenizer);
        long pad = tokenizer.padId().orElse(eos.isEmpty() ? 0 : eos.iterator().next());
        return new Generator(model, eos, pad, ids -> tokenizer.decode(ids, true));
    }

    /**
     * The tokens that end a generation: the tokenizer's EOS, then every eos_token_id of the model's
     * config.json and generation_config.json (Llama 3 Instruct ends turns with 128009 and text with
     * 128001). The tokenizer's comes first, so it pads when the tokenizer names no pad token.
     */
    public static Set<Long> endTokens(LlamaModel model, Tokenizer tokenizer) {
        Set<Long> eos = new LinkedHashSet<>();
        tokenizer.eosId().ifPresent(eos::add);
        model.config().eosTokenIds().forEach(id -> eos.add((long) id));
        return eos;
    }

    /** Saves weights and config.json, and copies the tokenizer files next to them. */
    public void save(Path dir) throws IOException {
        save(dir, SaveOptions.defaults());
    }

    /**
     * Saves weights (type and shard size from {@code options}) and config.json as
     * {@link LlamaModel#save(Path, SaveOptions)} does, and copies the tokenizer files next to them:
     * a folder that {@code transformers}' {@code AutoModelForCausalLM} and {@code AutoTokenizer} open.
     */
    public void save(Path dir, SaveOptions options) throws IOException {
        model.save(dir, options);
        Path source = tokenizer.file().toAbsolutePath().getParent();
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja")) {
            Path from = source.resolve(f);
            Path to = dir.resolve(f);
            if (Files.exists(from) && !Files.isSameFile(source, dir.toAbsolutePath())) {
                Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /**
     * Writes model and tokenizer as one GGUF file for llama.cpp, Ollama and LM Studio (see
     * {@link Gguf}): {@code lm.saveGguf(Path.of("story-q8_0.gguf"), GgufOptions.q8_0())}.
     */
    public GgufExport saveGguf(Path file, GgufOptions options) throws IOException {
        return Gguf.write(model, tokenizer, file, options);
    }

    @Override
    public String toString() {
        return model + " + tokenizer(vocab=" + tokenizer.vocabSize() + ")";
    }

    @Override
    public void close() {
        model.close();
        tokenizer.close();
    }
}
