package dev.tunelab.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The catalog's loaders on the shared mirror; the figures are those of its SOURCES.md. */
class MirrorDatasetsTest {

    @Test
    void alpacaSampleHas999RowsAnd412WithInput() {
        Dataset<AlpacaExample> d = MirrorData.catalog().alpaca(LoadOptions.strict());
        assertEquals(999, d.size());
        assertEquals(412, d.stream().filter(AlpacaExample::hasInput).count());
        assertEquals("Describe a process of making crepes.", d.get(0).instruction());
        assertEquals(0, d.report().skipped());
    }

    @Test
    void hhRlhfHelpfulBaseTestHas9RowsWithoutASharedPrompt() {
        Catalog c = MirrorData.catalog();
        var e = assertThrows(DataFormatException.class, () -> c.hhRlhf("helpful-base", "test", LoadOptions.strict()));
        assertEquals(169, e.line());
        assertEquals("rejected", e.field());
        assertTrue(e.getMessage().contains("hh-rlhf_helpful-base_test.jsonl:169: field \"rejected\": chosen and rejected do not share"),
                e.getMessage());

        Dataset<PreferenceExample> d = c.hhRlhf("helpful-base", "test", LoadOptions.skipBadRows().maxReported(20));
        assertEquals(2_345, d.size());
        assertEquals(9, d.report().skipped());
        List<Long> lines = d.report().firstErrors().stream()
                .map(m -> Long.parseLong(m.replaceFirst("^.*\\.jsonl:(\\d+):.*$", "$1"))).toList();
        assertEquals(List.of(169L, 355L, 568L, 744L, 961L, 1012L, 1167L, 1308L, 1451L), lines);
        for (PreferenceExample p : d) {
            assertTrue(p.prompt().startsWith("\n\nHuman: ") && p.prompt().endsWith("\n\nAssistant:"));
            assertFalse(p.chosen().contains("\n\nAssistant:"));
            assertFalse(p.rejected().contains("\n\nAssistant:"));
        }
    }

    @Test
    void tinyStoriesHeadFileHas2316StoriesAndACutOffTail() {
        Path head = MirrorData.dir().resolve("tinystories/tinystories_train_head_2MiB.txt");
        Dataset<TextDocument> d = Datasets.text(head, "<|endoftext|>", true);
        assertEquals(2_316, d.size());
        assertEquals(1, d.report().notes().size());
        assertTrue(d.report().notes().get(0).contains("cut off"), d.report().notes().get(0));
        assertTrue(d.get(0).text().startsWith("One day, a little girl named Lily found a needle in her room."));
        assertFalse(d.stream().anyMatch(s -> s.text().contains("<|endoftext|>")));
        assertEquals(2_317, Datasets.text(head, "<|endoftext|>").size()); // keeping the tail

        Dataset<TextDocument> train = MirrorData.catalog().tinyStories("train");
        assertEquals(2_316 + 1_727, train.size());
        assertEquals(2, train.report().notes().size());
        // SOURCES.md: one story of the sample file is an exact copy of one of the head file
        assertEquals(train.size() - 1, train.dedupe(Dataset.Dedupe.EXACT).size());
    }

    @Test
    void tinyStoriesValidationSliceIsReadAsParagraphs() {
        Dataset<TextDocument> v = MirrorData.catalog().tinyStories("validation");
        assertTrue(v.size() > 1_000, "paragraphs: " + v.size());
        assertTrue(v.get(0).text().startsWith("Spot. Spot saw the shiny car"), v.get(0).text());
    }

    @Test
    void afinnLexicons() {
        Catalog c = MirrorData.catalog();
        Lexicon en = c.afinn();
        assertEquals(3_382, en.size());
        Lexicon old = c.afinn("111");
        assertEquals(2_477, old.size());
        assertEquals(2, old.get("zealous")); // the last line, which has no newline after it
        assertEquals(-3, en.get("can't stand")); // a multi-word term
        assertEquals(3, en.get("good"));
        assertEquals(-3, en.get("bad"));
        // the longest term wins: "bad luck" (-2) is one term, not "bad" (-3) and "luck"
        assertEquals(-2, en.score("Such bad luck."));
        assertEquals(4, en.score("damn good"));
        assertNotEquals(4, en.get("damn") + en.get("good"));
        assertEquals(en.get("happy") + en.get("good"), en.score("A HAPPY dog, a good day."));
    }

    @Test
    void missingMirrorFilesGiveAClearError() {
        Catalog c = MirrorData.catalog();
        var e = assertThrows(IllegalStateException.class, () -> c.dolly(LoadOptions.strict()));
        assertTrue(e.getMessage().contains("has no instruct/databricks-dolly-15k.jsonl for Dolly-15k"), e.getMessage());
        assertTrue(e.getMessage().contains("Unset TUNELAB_DATA to download databricks/databricks-dolly-15k"));
        var u = assertThrows(IllegalStateException.class, () -> c.ultraFeedback("train_prefs", LoadOptions.strict()));
        assertTrue(u.getMessage().contains("ultrafeedback_binarized_train_prefs.jsonl"));
        var s = assertThrows(IllegalArgumentException.class, () -> c.hhRlhf("harmless-base", "train", LoadOptions.strict()));
        assertTrue(s.getMessage().contains("no HH-RLHF split 'harmless-base/train'"), s.getMessage());
    }
}
