package dev.tunelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class UnsupportedNamesTest {
    @Test
    void namesTheSourceNeverMentionsAreFoundWithTheirOffsets() {
        String source = "Mia was a little girl who lived near a big green forest. One morning, she woke up early.";
        String output = "Mia went to the Forest with Tom. Then Tom's dog Max barked. She saw Mia's mom.";
        UnsupportedNames.Example e = UnsupportedNames.check(source, output);
        // Mia and Forest are in the source (case aside); Tom and Max are not; Then and She open sentences
        assertEquals(List.of(new UnsupportedNames.Finding("Tom", 28), new UnsupportedNames.Finding("Max", 48)), e.unsupported());
        assertEquals(4, e.names()); // Mia, Forest, Tom, Max
        assertEquals(output.indexOf("Tom"), 28);
        assertEquals(output.indexOf("Max"), 48);
    }

    @Test
    void rateCountsOutputsWithAnyUnsupportedName() {
        UnsupportedNames.Result r = UnsupportedNames.check(List.of("Lily had a cat.", "Ben ran.", "Sue sang."),
                List.of("Lily and the cat played.", "Ben met Ann and Joe.", "The bird sang with Sue."));
        assertEquals(1 / 3.0, r.rate(), 1e-15);
        assertEquals(2 / 3.0, r.meanUnsupported(), 1e-15);
        assertEquals("Ann (8), Joe (16)", r.table().stringColumn("unsupported (offset)").get(1));
    }
}
