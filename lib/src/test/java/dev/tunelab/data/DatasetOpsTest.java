package dev.tunelab.data;

import static org.junit.jupiter.api.Assertions.*;

import dev.tunelab.display.MimeBundles;
import dev.tunelab.io.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

class DatasetOpsTest {

    static Dataset<TextDocument> numbered(int from, int to) {
        List<TextDocument> rows = new ArrayList<>();
        for (int i = from; i < to; i++) rows.add(new TextDocument("document number " + i));
        return Dataset.of("numbers", rows);
    }

    static Set<String> texts(Dataset<?> d) {
        Set<String> s = new HashSet<>();
        d.forEach(r -> s.add(r.text()));
        return s;
    }

    @Test
    void splitsAreSeededDisjointCompleteAndNearTheRatios() {
        Dataset<TextDocument> d = numbered(0, 10_000);
        var s = d.split(0.8, 0.1, 0.1, 42);
        assertEquals(10_000, s.train().size() + s.validation().size() + s.test().size());
        // binomial: sd of the train share is sqrt(0.16 / 10,000) = 0.4%, so 4 sd is 160 rows
        assertEquals(8_000, s.train().size(), 160);
        assertEquals(1_000, s.validation().size(), 120);
        Set<String> train = texts(s.train());
        Set<String> test = texts(s.test());
        train.retainAll(test);
        assertTrue(train.isEmpty());

        var again = d.split(0.8, 0.1, 0.1, 42);
        assertEquals(s.test().rows(), again.test().rows());
        var other = d.split(0.8, 0.1, 0.1, 7);
        assertNotEquals(texts(s.test()), texts(other.test()));
        assertEquals("numbers (test)", s.test().name());
    }

    @Test
    void addingRowsDoesNotMoveExistingOnes() {
        var before = numbered(0, 5_000).split(new double[] {9, 1}, 1);
        var after = numbered(0, 6_000).split(new double[] {9, 1}, 1);
        Set<String> testBefore = texts(before.get(1));
        Set<String> testAfter = texts(after.get(1));
        assertTrue(testAfter.containsAll(testBefore));
        testAfter.removeAll(testBefore);
        for (String t : testAfter) assertTrue(Integer.parseInt(t.substring("document number ".length())) >= 5_000, t);
    }

    @Test
    void duplicatesLandInTheSameSplitAndZeroRatiosGetNothing() {
        List<TextDocument> rows = new ArrayList<>();
        for (int i = 0; i < 200; i++) rows.add(new TextDocument("same " + (i % 20)));
        var parts = Dataset.of("dups", rows).split(new double[] {1, 0, 1}, 3);
        assertEquals(0, parts.get(1).size());
        Set<String> a = texts(parts.get(0));
        a.retainAll(texts(parts.get(2)));
        assertTrue(a.isEmpty());
        assertThrows(IllegalArgumentException.class, () -> Dataset.of("x", rows).split(new double[] {-1, 2}, 0));
        assertThrows(IllegalArgumentException.class, () -> Dataset.of("x", rows).split(new double[] {0, 0}, 0));
    }

    @Test
    void shuffleIsASeededPermutation() {
        Dataset<TextDocument> d = numbered(0, 100);
        Dataset<TextDocument> a = d.shuffle(5);
        assertEquals(a.rows(), d.shuffle(5).rows());
        assertNotEquals(d.rows(), a.rows());
        assertNotEquals(a.rows(), d.shuffle(6).rows());
        assertEquals(texts(d), texts(a));
        assertEquals(100, a.size());
        // java.util.Random's specified LCG, replayed independently in Python: 14, 47, 16, 73, 74
        assertEquals(List.of(14, 47, 16, 73, 74), a.head(5).stream().map(r -> Integer.parseInt(r.text().substring(16))).toList());
    }

    @Test
    void dedupeExactOrModuloWhitespaceKeepsTheFirst() {
        Dataset<AlpacaExample> d = Dataset.of("dups", List.of(
                new AlpacaExample("Say hi", "", "hi"),
                new AlpacaExample("Say  hi", "", "hi "),
                new AlpacaExample("Say hi", "", "hi"),
                new AlpacaExample("Say bye", "", "bye")));
        assertEquals(List.of(d.get(0), d.get(1), d.get(3)), d.dedupe(Dataset.Dedupe.EXACT).rows());
        assertEquals(List.of(d.get(0), d.get(3)), d.dedupe().rows());
    }

    @Test
    void filtersAndTokenLengths() throws Exception {
        Path dir = Path.of(DatasetOpsTest.class.getResource("/tokenizer/bytebpe/tokenizer.json").toURI()).getParent();
        try (Tokenizer tok = Tokenizer.load(dir)) {
            // "hello world" is 2 tokens (hello, Ġworld) without the BOS the tokenizer adds
            Dataset<TextDocument> d = Dataset.of("t", List.of(new TextDocument("hello world"),
                    new TextDocument("hello"), new TextDocument("the cab is here.")));
            assertArrayEquals(new int[] {2, 1, 10}, d.tokenLengths(tok));
            assertEquals(List.of("hello world", "hello"), d.filterByTokenLength(tok, 1, 2).stream().map(TextDocument::text).toList());
            assertEquals(List.of("the cab is here."), d.filterByTokenLength(tok, 3, 100).stream().map(TextDocument::text).toList());
            assertEquals(1, d.filter(r -> r.text().startsWith("the")).size());

            DatasetView v = d.view(tok);
            assertEquals(new DatasetView.Lengths("tokens", 3, 13, 1, 13 / 3.0, 2, 10, 10), v.lengths());
            assertEquals("3", v.summary().stringColumn("value").get(0));
            assertEquals(3, v.sample().rowCount());
            Map<String, String> bundle = v.mimeBundle();
            assertTrue(bundle.get(MimeBundles.HTML).contains("<td>median (tokens)</td><td>2</td>"), bundle.get(MimeBundles.HTML));
            // the mean as Numbers writes it: four significant digits
            assertTrue(bundle.get(MimeBundles.HTML).contains("<td>mean (tokens)</td><td>4.333</td>"), bundle.get(MimeBundles.HTML));
            assertTrue(bundle.get(MimeBundles.TEXT).contains("max (tokens)"));
        }
    }

    @Test
    void tablesAndNotebookRendering() {
        Dataset<AlpacaExample> d = Dataset.of("alpaca", List.of(
                new AlpacaExample("a <b>", "", "x".repeat(500)), new AlpacaExample("c", "d", "e")));
        Table t = d.table();
        assertEquals(List.of("instruction", "input", "output"), t.columnNames());
        assertEquals(2, t.rowCount());
        assertEquals("d", t.stringColumn("input").get(1));
        Map<String, String> bundle = d.mimeBundle();
        String html = bundle.get(MimeBundles.HTML);
        assertTrue(html.contains("a &lt;b&gt;"), html); // escaped
        assertFalse(html.contains("x".repeat(200))); // long values shortened in the sample
        assertTrue(html.contains("chars"));
        assertEquals("alpaca: 2 rows", d.toString());
        assertEquals(3, d.concat(d.head(1)).size());
        assertEquals("e", d.map(a -> new TextDocument(a.output())).get(1).text());
    }

    @Test
    void skippedRowsShowInTheView() throws Exception {
        Path f = Path.of(DatasetOpsTest.class.getResource("/data/chat_sample.jsonl").toURI());
        Dataset<ChatExample> d = Datasets.chat(f, LoadOptions.skipBadRows());
        String html = d.mimeBundle().get(MimeBundles.HTML);
        assertTrue(html.contains("<td>bad rows skipped</td><td>2</td>"), html);
        assertTrue(d.view().toString().contains("chat_sample.jsonl:2: field \"messages[1].content\""));
        assertEquals("chat_sample: 2 rows (2 bad rows skipped)", d.toString());
    }
}
