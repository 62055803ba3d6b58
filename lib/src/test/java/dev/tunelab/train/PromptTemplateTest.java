package dev.tunelab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.train.ChatTemplate.Message;
import dev.tunelab.train.PromptTemplate.Segment;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PromptTemplateTest {

    @Test
    void alpacaWithoutInputIsStanfordAlpacasWording() {
        List<Segment> s = PromptTemplate.alpaca().render(SftExample.of("Name a colour.", "Blue."));
        assertEquals(List.of(
                new Segment("Below is an instruction that describes a task. Write a response that appropriately completes"
                        + " the request.\n\n### Instruction:\nName a colour.\n\n### Response:", false),
                new Segment("Blue.", true)), s);
        assertTrue(PromptTemplate.alpaca().appendEos());
    }

    @Test
    void alpacaWithInputUsesTheLongerWording() {
        SftExample e = new SftExample("Translate to French.", "cat", "chat");
        assertEquals("Below is an instruction that describes a task, paired with an input that provides further context."
                + " Write a response that appropriately completes the request.\n\n### Instruction:\nTranslate to French.\n\n"
                + "### Input:\ncat\n\n### Response:", PromptTemplate.alpaca().prompt(e));
        assertEquals("Below is an instruction that describes a task, paired with an input that provides further context."
                + " Write a response that appropriately completes the request.\n\n### Instruction:\nTranslate to French.\n\n"
                + "### Input:\ncat\n\n### Response:\n", PromptTemplate.alpaca("\n").prompt(e));
        // A null input means "no input", like an empty one.
        assertEquals(PromptTemplate.alpaca().prompt(SftExample.of("x", "y")),
                PromptTemplate.alpaca().prompt(new SftExample("x", null, "y")));
    }

    @Test
    void chatmlTrainsOnlyAssistantContentAndItsEndMarker() {
        List<Message> chat = List.of(Message.system("Be brief."), Message.user("Hi"), Message.assistant("Hello!"),
                Message.user("2+2?"), Message.assistant("4"));
        List<Segment> s = ChatTemplate.CHATML.render(chat);
        assertEquals(List.of(
                new Segment("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", false),
                new Segment("Hello!<|im_end|>", true),
                new Segment("\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n", false),
                new Segment("4<|im_end|>", true),
                new Segment("\n", false)), s);
        // The generation prompt drops the final answer and opens an assistant turn.
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
                + "Hello!<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n", ChatTemplate.CHATML.prompt(chat));
        assertFalse(ChatTemplate.CHATML.appendEos());
        // Rendering concatenated is exactly the ChatML text of the whole conversation.
        String all = String.join("", s.stream().map(Segment::text).toList());
        assertEquals(ChatTemplate.CHATML.prompt(chat) + "4<|im_end|>\n", all);
    }

    @Test
    void chatTemplateCanTrainOtherRoles() {
        List<Segment> s = new ChatTemplate(Set.of("user", "assistant")).render(List.of(Message.user("a"), Message.assistant("b")));
        assertEquals(List.of(new Segment("<|im_start|>user\n", false), new Segment("a<|im_end|>", true),
                new Segment("\n<|im_start|>assistant\n", false), new Segment("b<|im_end|>", true), new Segment("\n", false)), s);
    }

    @Test
    void badMessagesNameTheirIndexAndField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ChatTemplate.CHATML.render(List.of(Message.user("a"), new Message("assistant", null))));
        assertTrue(e.getMessage().contains("messages[1].content"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.CHATML.render(List.of(new Message(null, "a"))));
        assertTrue(e.getMessage().contains("messages[0].role"), e.getMessage());
    }

    @Test
    void customTemplateFromTwoFunctions() {
        PromptTemplate<String[]> qa = PromptTemplate.of("qa", x -> "Q: " + x[0] + "\nA:", x -> " " + x[1]);
        assertEquals(List.of(new Segment("Q: why\nA:", false), new Segment(" because", true)),
                qa.render(new String[] {"why", "because"}));
        assertEquals("Q: why\nA:", qa.prompt(new String[] {"why", "because"}));
        assertEquals("qa", qa.name());
    }
}
