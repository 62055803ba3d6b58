package dev.tunelab.recipes.cloze;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StoryClozeTest {
    static final String TEXT = """
            Tom had a red ball. He threw it high. The dog ran after it. Tom laughed and clapped.

            Short one. Too short.

            Lily saw a bird in the tree. The bird sang a sweet song. Lily sang along with the bird.

            Mia baked a cake with mom. They put pink icing on top. Everyone ate a big slice.

            Sam lost his blue hat. He looked under the bed. He found it in the garden. Sam was very happy.
            """;

    @Test
    void paragraphsSplitIntoContextAndLastSentence() {
        List<StoryCloze.Paragraph> ps = StoryCloze.paragraphs(TEXT);
        assertEquals(4, ps.size()); // "Short one. Too short." has two sentences of two words
        assertEquals(new StoryCloze.Paragraph("Tom had a red ball. He threw it high. The dog ran after it.", "Tom laughed and clapped."), ps.get(0));
        assertEquals("Lily sang along with the bird.", ps.get(1).ending());
    }

    @Test
    void eachQuestionHoldsItsOwnEndingAtGoldAndThreeOthers() {
        List<StoryCloze.Paragraph> ps = StoryCloze.paragraphs(TEXT);
        List<Map<String, Object>> rows = StoryCloze.questions(ps, 4, 7);
        assertEquals(rows, StoryCloze.questions(ps, 4, 7)); // the seed fixes everything
        for (Map<String, Object> r : rows) {
            @SuppressWarnings("unchecked")
            List<String> choices = (List<String>) r.get("choices");
            StoryCloze.Paragraph own = ps.stream().filter(p -> p.context().equals(r.get("context"))).findFirst().orElseThrow();
            assertEquals(own.ending(), choices.get((Integer) r.get("gold")));
            assertEquals(4, choices.stream().distinct().count());
            assertEquals(true, choices.stream().allMatch(c -> ps.stream().anyMatch(p -> p.ending().equals(c))));
        }
        assertThrows(IllegalArgumentException.class, () -> StoryCloze.questions(ps, 5, 7));
    }
}
