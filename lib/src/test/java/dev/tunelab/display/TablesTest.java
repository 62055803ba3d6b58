package dev.tunelab.display;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.text.DecimalFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;

class TablesTest {
    private static final String STORY = "Once upon a time, there was a little girl named Lily. She loved to play outside "
            + "in the park with her friends. One day, she saw a big red ball under a tree & ran to get it.\n\nThe end.";

    private static Table dpo() {
        return Table.create("DPO",
                StringColumn.create("arm", "beta=0.05", "beta=0.1", "beta=0.5"),
                DoubleColumn.create("margin", 0.22489087820053105, 22.9602, 7.692),
                DoubleColumn.create("accuracy", 0.7, Double.NaN, 0.65),
                IntColumn.create("tokens", 590688, 40704, 1));
    }

    private static List<String> cells(String html) {
        Matcher m = Pattern.compile("<td[^>]*>(.*?)</td>", Pattern.DOTALL).matcher(html);
        List<String> cells = new java.util.ArrayList<>();
        while (m.find()) cells.add(m.group(1));
        return cells;
    }

    @Test void htmlNumbersShareDecimalsPerColumn() {
        assertEquals(List.of("beta=0.05", "0.225", "0.70", "590,688", "beta=0.1", "22.960", "–", "40,704",
                "beta=0.5", "7.692", "0.65", "1"), cells(Tables.html(dpo(), 20)));
    }

    @Test void textNumbersAlignRightAndMatchTheHtml() {
        assertEquals("""
                DPO
                arm       | margin | accuracy | tokens
                ----------+--------+----------+--------
                beta=0.05 |  0.225 |     0.70 | 590,688
                beta=0.1  | 22.960 |        – |  40,704
                beta=0.5  |  7.692 |     0.65 |       1""", Tables.text(dpo(), 20));
    }

    @Test void aPrintFormatterOnTheColumnDoesNotChangeTheDefault() {
        Table t = dpo();
        t.doubleColumn("margin").setPrintFormatter(new NumberColumnFormatter(new DecimalFormat("0.####"), ""));
        assertTrue(Tables.html(t, 20).contains("<td>22.960</td>"));
    }

    @Test void tablesawsOwnPrintingCanUseTheDefault() {
        Table t = Tables.formatNumbers(dpo());
        assertEquals("22.960", t.doubleColumn("margin").getString(1));
        assertEquals(Numbers.MISSING, t.doubleColumn("accuracy").getString(1));
        assertEquals("590,688", t.intColumn("tokens").getString(0));
        assertFalse(t.printAll().contains("0.22489"), t.printAll());
        assertEquals(0.22489087820053105, t.doubleColumn("margin").get(0), "the values keep full precision");
    }

    @Test void rowsAreBoundedWithANote() {
        Table t = Table.create("many", IntColumn.create("i", java.util.stream.IntStream.range(0, 1234).toArray()));
        String html = Tables.html(t, 3);
        assertEquals(3, cells(html).size());
        assertTrue(html.endsWith("<p><em>... 1,231 more rows</em></p>"), html);
        assertTrue(Tables.text(t, 3).endsWith("\n2\n... 1,231 more rows"), Tables.text(t, 3));
    }

    @Test void longTextIsShortenedWithTheWholeTextInDetails() {
        Table t = Table.create("examples", StringColumn.create("output", STORY, "short & sweet"));
        List<String> cells = cells(Tables.html(t, 20));
        String story = cells.get(0);
        assertTrue(story.startsWith("<details><summary>Once upon a time, there was a little girl named Lily. She loved to play outside…</summary>"),
                story);
        assertTrue(story.contains("under a tree &amp; ran to get it.\n\nThe end.</div></details>"), "the whole text, escaped");
        String summary = story.substring(story.indexOf("<summary>") + 9, story.indexOf("</summary>"));
        assertTrue(summary.length() <= Tables.PREVIEW, summary);
        assertEquals("short &amp; sweet", cells.get(1), "short text stays as it is");
    }

    @Test void longTextIsCutInPlainText() {
        Table t = Table.create("examples", StringColumn.create("output", STORY));
        String[] lines = Tables.text(t, 20).split("\n");
        assertEquals("Once upon a time, there was a little…", lines[3]);
    }

    @Test void rowOfNamedValues() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("perplexity", 48.902607078590556);
        values.put("mean NLL", 3.8898307095502638);
        values.put("tokens", 590688L);
        values.put("split", "validation");
        Table t = Tables.row("perplexity", values);
        assertEquals(List.of("perplexity", "mean NLL", "tokens", "split"), t.columnNames());
        assertEquals(List.of("48.9", "3.89", "590,688", "validation"), cells(Tables.html(t, 20)));
        assertFalse(Tables.mimeBundle(t).get(MimeBundles.TEXT).contains("48.90260"));
    }
}
