package dev.tunelab.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real chat templates of Llama 3 / 3.1 / 3.2, Mistral v0.1 / v0.3, Qwen2.5, Zephyr and SmolLM2
 * (test resource chat_templates/, sources in its README) render the strings each family's
 * documented prompt format gives, written out by hand below.
 */
class ChatTemplateFamiliesTest {
    // A: system, two exchanges, the last user and assistant texts padded with spaces (templates differ in trimming)
    static final List<Map<String, String>> A = List.of(
            Map.of("role", "system", "content", "You are terse."),
            Map.of("role", "user", "content", "Hi"),
            Map.of("role", "assistant", "content", "Hello!"),
            Map.of("role", "user", "content", "  Who are you? "),
            Map.of("role", "assistant", "content", " A bot. "));
    // B: system, one exchange, a question to answer (rendered with add_generation_prompt)
    static final List<Map<String, String>> B = List.of(
            Map.of("role", "system", "content", "You are terse."),
            Map.of("role", "user", "content", "Hi"),
            Map.of("role", "assistant", "content", "Hello!"),
            Map.of("role", "user", "content", "Bye"));
    // C: one question, no system message (the templates' defaults show)
    static final List<Map<String, String>> C = List.of(Map.of("role", "user", "content", "Hi"));

    static final Clock SEPT_5_2024 = Clock.fixed(LocalDateTime.of(2024, 9, 5, 14, 3, 7).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);

    static String render(Path dir, ChatTokenizers.Family family, List<Map<String, String>> messages, boolean generationPrompt) {
        try (Tokenizer tok = ChatTokenizers.create(dir, family, false)) {
            return tok.jinjaChatTemplate().withClock(SEPT_5_2024).render(messages, generationPrompt);
        }
    }

    // Llama 3: <|begin_of_text|>, then per message <|start_header_id|>role<|end_header_id|>\n\n, the trimmed text, <|eot_id|>
    static final String L3_SYS = "<|start_header_id|>system<|end_header_id|>\n\n";
    static final String L3_USER = "<|start_header_id|>user<|end_header_id|>\n\n";
    static final String L3_ASSISTANT = "<|start_header_id|>assistant<|end_header_id|>\n\n";

    @Test
    void llama3(@TempDir Path tmp) {
        assertEquals("<|begin_of_text|>" + L3_SYS + "You are terse.<|eot_id|>" + L3_USER + "Hi<|eot_id|>" + L3_ASSISTANT
                + "Hello!<|eot_id|>" + L3_USER + "Who are you?<|eot_id|>" + L3_ASSISTANT + "A bot.<|eot_id|>",
                render(tmp.resolve("a"), ChatTokenizers.LLAMA3, A, false));
        assertEquals("<|begin_of_text|>" + L3_SYS + "You are terse.<|eot_id|>" + L3_USER + "Hi<|eot_id|>" + L3_ASSISTANT
                + "Hello!<|eot_id|>" + L3_USER + "Bye<|eot_id|>" + L3_ASSISTANT, render(tmp.resolve("b"), ChatTokenizers.LLAMA3, B, true));
        assertEquals("<|begin_of_text|>" + L3_USER + "Hi<|eot_id|>", render(tmp.resolve("c"), ChatTokenizers.LLAMA3, C, false));
    }

    // Llama 3.1 and 3.2: the system turn always comes, with the knowledge cut-off and today's date
    // (3.1 fixes it at 26 Jul 2024, 3.2 asks strftime_now("%d %b %Y")), then the system message.
    @Test
    void llama31(@TempDir Path tmp) {
        String header = "<|begin_of_text|>" + L3_SYS + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n";
        assertEquals(header + "You are terse.<|eot_id|>" + L3_USER + "Hi<|eot_id|>" + L3_ASSISTANT + "Hello!<|eot_id|>"
                + L3_USER + "Who are you?<|eot_id|>" + L3_ASSISTANT + "A bot.<|eot_id|>",
                render(tmp.resolve("a"), ChatTokenizers.LLAMA31, A, false));
        assertEquals(header + "<|eot_id|>" + L3_USER + "Hi<|eot_id|>" + L3_ASSISTANT, render(tmp.resolve("c"), ChatTokenizers.LLAMA31, C, true));
    }

    @Test
    void llama32WritesTodaysDate(@TempDir Path tmp) {
        String header = "<|begin_of_text|>" + L3_SYS + "Cutting Knowledge Date: December 2023\nToday Date: 05 Sep 2024\n\n";
        assertEquals(header + "You are terse.<|eot_id|>" + L3_USER + "Hi<|eot_id|>" + L3_ASSISTANT + "Hello!<|eot_id|>"
                + L3_USER + "Bye<|eot_id|>" + L3_ASSISTANT, render(tmp.resolve("b"), ChatTokenizers.LLAMA32, B, true));
        assertEquals(header + "<|eot_id|>" + L3_USER + "Hi<|eot_id|>", render(tmp.resolve("c"), ChatTokenizers.LLAMA32, C, false));
    }

    // Mistral v0.1 ([INST] format): <s>, " [INST] " + (system + "\n\n" in the first turn) + user + " [/INST]",
    // " " + answer + "</s>"; texts as written; no generation prompt (the prompt ends with [/INST])
    @Test
    void mistralV01(@TempDir Path tmp) {
        assertEquals("<s> [INST] You are terse.\n\nHi [/INST] Hello!</s> [INST]   Who are you?  [/INST]  A bot. </s>",
                render(tmp.resolve("a"), ChatTokenizers.MISTRAL01, A, false));
        assertEquals("<s> [INST] You are terse.\n\nHi [/INST] Hello!</s> [INST] Bye [/INST]",
                render(tmp.resolve("b"), ChatTokenizers.MISTRAL01, B, true));
    }

    // Mistral v0.3: "[INST] " + user + "[/INST]", " " + trimmed answer + "</s>"; the system message
    // goes in front of the last user message only (so a conversation ending with an answer has none)
    @Test
    void mistralV03(@TempDir Path tmp) {
        assertEquals("<s>[INST] Hi[/INST] Hello!</s>[INST]   Who are you? [/INST] A bot.</s>",
                render(tmp.resolve("a"), ChatTokenizers.MISTRAL03, A, false));
        assertEquals("<s>[INST] Hi[/INST] Hello!</s>[INST] You are terse.\n\nBye[/INST]",
                render(tmp.resolve("b"), ChatTokenizers.MISTRAL03, B, true));
    }

    @Test
    void mistralRefusesRolesThatDoNotAlternateNamingTheConfig(@TempDir Path tmp) {
        List<Map<String, String>> twoUsers = List.of(Map.of("role", "user", "content", "a"), Map.of("role", "user", "content", "b"));
        TokenizerException e = assertThrows(TokenizerException.class, () -> render(tmp, ChatTokenizers.MISTRAL03, twoUsers, true));
        assertTrue(e.getMessage().contains("tokenizer_config.json"), e.getMessage());
        assertTrue(e.getMessage().contains("the template raised an exception: After the optional system message,"
                + " conversation roles must alternate user/assistant/user/assistant/..."), e.getMessage());
    }

    // Qwen2.5 (ChatML): <|im_start|>role\ntext<|im_end|>\n, texts as written; without a system
    // message, "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
    @Test
    void qwen25(@TempDir Path tmp) {
        assertEquals("<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\n  Who are you? <|im_end|>\n"
                + "<|im_start|>assistant\n A bot. <|im_end|>\n", render(tmp.resolve("a"), ChatTokenizers.QWEN25, A, false));
        assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", render(tmp.resolve("c"), ChatTokenizers.QWEN25, C, true));
    }

    // Zephyr: <|role|>\ntext</s>\n per message, "<|assistant|>\n" as generation prompt
    @Test
    void zephyr(@TempDir Path tmp) {
        assertEquals("<|system|>\nYou are terse.</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello!</s>\n<|user|>\n  Who are you? </s>\n"
                + "<|assistant|>\n A bot. </s>\n", render(tmp.resolve("a"), ChatTokenizers.ZEPHYR, A, false));
        assertEquals("<|system|>\nYou are terse.</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello!</s>\n<|user|>\nBye</s>\n<|assistant|>\n",
                render(tmp.resolve("b"), ChatTokenizers.ZEPHYR, B, true));
    }

    // SmolLM2 (ChatML): without a system message, "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
    @Test
    void smolLm2(@TempDir Path tmp) {
        assertEquals("<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n",
                render(tmp.resolve("b"), ChatTokenizers.SMOLLM2, B, true));
        assertEquals("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                + "<|im_start|>user\nHi<|im_end|>\n", render(tmp.resolve("c"), ChatTokenizers.SMOLLM2, C, false));
    }

    @Test
    void applyChatTemplateUsesTheTemplateOfTokenizerConfig(@TempDir Path tmp) {
        try (Tokenizer tok = ChatTokenizers.create(tmp, ChatTokenizers.QWEN25, false)) {
            assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                    + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", tok.applyChatTemplate(C, true));
            assertEquals(tmp.resolve("tokenizer_config.json").toAbsolutePath(), tok.jinjaChatTemplate().file().toAbsolutePath());
        }
    }
}
