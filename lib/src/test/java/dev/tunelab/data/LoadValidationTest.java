package dev.tunelab.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoadValidationTest {

    @TempDir
    Path tmp;

    static Path resource(String name) throws URISyntaxException {
        return Path.of(LoadValidationTest.class.getResource("/data/" + name).toURI());
    }

    /** 10,000 Alpaca rows; lines 1234 (malformed JSON), 5000 (no output), 9999 (numeric input) are bad. */
    private Path tenThousandRows() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= 10_000; i++) {
            lines.add(switch (i) {
                case 1234 -> "{\"instruction\": \"row " + i + "\", \"output\": \"unterminated}";
                case 5000 -> "{\"instruction\": \"row " + i + "\", \"input\": \"\"}";
                case 9999 -> "{\"instruction\": \"row " + i + "\", \"input\": 7, \"output\": \"o\"}";
                default -> "{\"instruction\": \"row " + i + "\", \"input\": \"\", \"output\": \"out " + i + "\"}";
            });
        }
        Path f = tmp.resolve("big.jsonl");
        Files.write(f, lines, StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void skipModeLoadsTheGoodRowsAndReportsTheBadOnes() throws IOException {
        Dataset<AlpacaExample> d = Datasets.alpaca(tenThousandRows(), LoadOptions.skipBadRows());
        assertEquals(9_997, d.size());
        assertEquals(3, d.report().skipped());
        assertEquals(9_997, d.report().loaded());
        List<String> errors = d.report().firstErrors();
        assertEquals(3, errors.size());
        assertTrue(errors.get(0).startsWith(tmp.resolve("big.jsonl") + ":1234: malformed JSON"), errors.get(0));
        assertTrue(errors.get(1).contains("big.jsonl:5000: field \"output\": missing"), errors.get(1));
        assertTrue(errors.get(2).contains("big.jsonl:9999: field \"input\": expected a string, got number 7"), errors.get(2));
        // the rows around the bad ones are there, in order
        assertEquals("row 1233", d.get(1232).instruction());
        assertEquals("row 1235", d.get(1233).instruction());
        assertEquals("out 10000", d.get(9_996).output());
        assertTrue(d.report().toString().contains("3 bad rows skipped"));
    }

    @Test
    void strictModeFailsAtTheFirstBadLine() throws IOException {
        Path f = tenThousandRows();
        var e = assertThrows(DataFormatException.class, () -> Datasets.alpaca(f));
        assertEquals(1234, e.line());
        assertEquals(f, e.file());
        assertNull(e.field());
        assertTrue(e.getMessage().startsWith(f + ":1234: malformed JSON at column "), e.getMessage());
    }

    @Test
    void fieldErrorsNameTheFieldAndType() throws IOException {
        Path f = tmp.resolve("typed.jsonl");
        Files.writeString(f, "{\"instruction\": \"a\", \"output\": \"b\"}\n{\"instruction\": null, \"output\": \"b\"}\n");
        var e = assertThrows(DataFormatException.class, () -> Datasets.alpaca(f));
        assertEquals(2, e.line());
        assertEquals("instruction", e.field());
        assertEquals("is null, expected a string", e.problem());

        Files.writeString(f, "[1, 2]\n");
        e = assertThrows(DataFormatException.class, () -> Datasets.alpaca(f));
        assertEquals(0, e.element()); // a top-level array: it is read as a JSON array whose elements are not objects
        assertTrue(e.getMessage().contains("expected a JSON object, got number 1"), e.getMessage());

        Files.writeString(f, "{\"instruction\": \"a\", \"output\": \"b\"} {\"x\": 1}\n");
        e = assertThrows(DataFormatException.class, () -> Datasets.alpaca(f));
        assertEquals(1, e.line()); // two objects on one line is not JSON Lines
    }

    @Test
    void jsonArrayErrorsNameTheElementAndItsLine() throws Exception {
        Path f = resource("alpaca_array.json");
        var e = assertThrows(DataFormatException.class, () -> Datasets.alpaca(f));
        assertEquals(2, e.element());
        assertEquals(12, e.line());
        assertEquals("output", e.field());
        assertTrue(e.getMessage().endsWith("alpaca_array.json: element 2 (line 12): field \"output\": missing"), e.getMessage());

        Dataset<AlpacaExample> d = Datasets.alpaca(f, LoadOptions.skipBadRows());
        assertEquals(3, d.size());
        assertEquals("chat", d.get(1).output());
        assertEquals("", d.get(2).input()); // a missing optional input is ""
    }

    @Test
    void aSyntaxErrorInAJsonArrayCannotBeSkipped() throws IOException {
        Path f = tmp.resolve("broken.json");
        Files.writeString(f, "[\n {\"instruction\": \"a\", \"output\": \"b\"},\n {\"instruction\": \"c\" \"output\": \"d\"}\n]\n");
        var e = assertThrows(DataFormatException.class, () -> Datasets.alpaca(f, LoadOptions.skipBadRows()));
        assertEquals(3, e.line());
        assertEquals(1, e.element());
        assertTrue(e.getMessage().contains("cannot be skipped"), e.getMessage());

        Files.writeString(f, "[\n {\"instruction\": \"a\", \"output\": \"b\"},\n");
        e = assertThrows(DataFormatException.class, () -> Datasets.alpaca(f));
        assertTrue(e.getMessage().contains("the file ends inside the JSON array: truncated?"), e.getMessage());
    }

    @Test
    void invalidUtf8IsReportedWithItsLine() throws IOException {
        Path f = tmp.resolve("latin1.jsonl");
        try (OutputStream out = Files.newOutputStream(f)) {
            out.write("{\"instruction\": \"ok\", \"output\": \"fine\"}\n".getBytes(StandardCharsets.UTF_8));
            out.write("{\"instruction\": \"caf".getBytes(StandardCharsets.UTF_8));
            out.write(0xe9); // 'é' in Latin-1: not UTF-8
            out.write("\", \"output\": \"x\"}\n".getBytes(StandardCharsets.UTF_8));
            out.write("{\"instruction\": \"last\", \"output\": \"row\"}".getBytes(StandardCharsets.UTF_8)); // no final newline
        }
        var e = assertThrows(DataFormatException.class, () -> Datasets.alpaca(f));
        assertEquals(2, e.line());
        assertEquals("invalid UTF-8 at byte 21 of the line", e.problem());
        Dataset<AlpacaExample> d = Datasets.alpaca(f, LoadOptions.skipBadRows());
        assertEquals(List.of("ok", "last"), d.stream().map(AlpacaExample::instruction).toList());

        Path text = tmp.resolve("latin1.txt");
        Files.write(text, new byte[] {'a', '\n', 'b', (byte) 0xff, '\n'});
        e = assertThrows(DataFormatException.class, () -> Datasets.text(text));
        assertEquals(2, e.line());
    }

    @Test
    void aLineOverTheLimitIsABadRowReadPastWithoutHoldingIt() throws IOException {
        Path f = tmp.resolve("huge.jsonl");
        String big = "{\"instruction\": \"" + "x".repeat(5_000) + "\", \"output\": \"y\"}";
        Files.writeString(f, "{\"instruction\": \"a\", \"output\": \"b\"}\n" + big + "\n{\"instruction\": \"c\", \"output\": \"d\"}\n");
        LoadOptions small = LoadOptions.strict().maxLineBytes(1_000);
        var e = assertThrows(DataFormatException.class, () -> Datasets.alpaca(f, small));
        assertEquals(2, e.line());
        assertTrue(e.problem().contains("longer than 1000 bytes"), e.problem());
        Dataset<AlpacaExample> d = Datasets.alpaca(f, small.skipping(true));
        assertEquals(List.of("a", "c"), d.stream().map(AlpacaExample::instruction).toList());
        assertEquals(3, Datasets.alpaca(f).size()); // the default limit (16 MiB) takes it
    }

    @Test
    void blankLinesCrlfAndByteOrderMarkKeepLineNumbersRight() throws IOException {
        Path f = tmp.resolve("crlf.jsonl");
        Files.writeString(f, "\uFEFF{\"instruction\": \"a\", \"output\": \"b\"}\r\n\r\n\r\n{\"instruction\": \"c\"}\r\n");
        var e = assertThrows(DataFormatException.class, () -> Datasets.alpaca(f));
        assertEquals(4, e.line());
        assertEquals("output", e.field());
        Dataset<AlpacaExample> d = Datasets.alpaca(f, LoadOptions.skipBadRows());
        assertEquals("b", d.get(0).output()); // no '\r' left in values
    }

    @Test
    void columnMappingReadsOtherFieldNames() throws IOException {
        Path f = tmp.resolve("qa.jsonl");
        Files.writeString(f, "{\"question\": \"Why?\", \"answer\": \"Because.\"}\n{\"question\": \"How?\"}\n");
        LoadOptions qa = LoadOptions.strict().map("instruction", "question").map("output", "answer");
        var e = assertThrows(DataFormatException.class, () -> Datasets.alpaca(f, qa));
        assertEquals("answer (read as output)", e.field());
        assertEquals(2, e.line());
        Dataset<AlpacaExample> d = Datasets.alpaca(f, qa.skipping(true));
        assertEquals(new AlpacaExample("Why?", "", "Because."), d.get(0));
    }

    @Test
    void dollyRows() throws Exception {
        var e = assertThrows(DataFormatException.class, () -> Datasets.dolly(resource("dolly_sample.jsonl")));
        assertEquals(5, e.line());
        assertEquals("context", e.field());
        assertEquals("expected a string, got a list", e.problem());
        Dataset<DollyExample> d = Datasets.dolly(resource("dolly_sample.jsonl"), LoadOptions.skipBadRows());
        assertEquals(3, d.size());
        assertEquals("summarization", d.get(1).category());
        assertEquals("", d.get(2).context());
        assertEquals(new AlpacaExample(d.get(1).instruction(), d.get(1).context(), d.get(1).response()), d.get(1).toAlpaca());
    }

    @Test
    void chatRowsNameTheNestedField() throws Exception {
        var e = assertThrows(DataFormatException.class, () -> Datasets.chat(resource("chat_sample.jsonl")));
        assertEquals(2, e.line());
        assertEquals("messages[1].content", e.field());
        Dataset<ChatExample> d = Datasets.chat(resource("chat_sample.jsonl"), LoadOptions.skipBadRows());
        assertEquals(2, d.size());
        assertEquals(2, d.report().skipped());
        assertTrue(d.report().firstErrors().get(1).contains(":3: field \"messages\": is an empty list"));
        assertEquals(new ChatExample.Message("system", "You are brief."), d.get(0).messages().get(0));
        assertEquals("Once upon a time...", d.get(1).messages().get(1).content());
    }

    @Test
    void preferenceRowsTakeStringsOrMessageLists() throws Exception {
        Dataset<PreferenceExample> d = Datasets.preference(resource("preference_sample.jsonl"), LoadOptions.skipBadRows());
        assertEquals(2, d.size());
        assertEquals(new PreferenceExample("What is 2+2?", "4", "5"), d.get(1));
        assertTrue(d.report().firstErrors().get(0).contains(":3: field \"chosen[0].role\": the last message must be the assistant"),
                d.report().firstErrors().get(0));
    }

    @Test
    void hhRlhfDialoguesSplitAtTheLastAssistantTurn() throws IOException {
        Path f = tmp.resolve("hh.jsonl");
        String prompt = "\\n\\nHuman: Hi\\n\\nAssistant: Hello\\n\\nHuman: Help?\\n\\nAssistant:";
        Files.writeString(f, String.join("\n",
                "{\"chosen\": \"" + prompt + " Sure.\", \"rejected\": \"" + prompt + " No.\"}",
                // the dialogues differ in an earlier turn: no shared prompt
                "{\"chosen\": \"" + prompt + " Sure.\", \"rejected\": \"\\n\\nHuman: Hi\\n\\nAssistant: Go away\\n\\nHuman: Help?\\n\\nAssistant: No.\"}",
                "{\"chosen\": \"\\n\\nHuman: no assistant here\", \"rejected\": \"x\"}", ""));
        Dataset<PreferenceExample> d = Datasets.hhRlhf(f, LoadOptions.skipBadRows());
        assertEquals(1, d.size());
        PreferenceExample p = d.get(0);
        assertEquals("\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Help?\n\nAssistant:", p.prompt());
        assertEquals(" Sure.", p.chosen());
        assertEquals(" No.", p.rejected());
        assertEquals(p.prompt() + " Sure.", p.chosenText());
        assertTrue(d.report().firstErrors().get(0).contains(":2: field \"rejected\": chosen and rejected do not share the prompt"),
                d.report().firstErrors().get(0));
        assertTrue(d.report().firstErrors().get(1).contains(":3: field \"chosen\": no \"\\n\\nAssistant:\" turn"));
    }

    @Test
    void gzipFilesAreReadOnTheFly() throws IOException {
        Path f = tmp.resolve("rows.jsonl.gz");
        try (var out = new GZIPOutputStream(Files.newOutputStream(f))) {
            for (int i = 0; i < 100; i++) {
                out.write(("{\"instruction\": \"i" + i + "\", \"output\": \"o\"}\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        Dataset<AlpacaExample> d = Datasets.alpaca(f);
        assertEquals(100, d.size());
        assertEquals("rows", d.name());
        Files.writeString(tmp.resolve("fake.jsonl.gz"), "not gzip");
        var e = assertThrows(DataFormatException.class, () -> Datasets.alpaca(tmp.resolve("fake.jsonl.gz")));
        assertTrue(e.getMessage().contains("not a gzip file"), e.getMessage());
    }

    @Test
    void missingFileAndGenericRows() throws IOException {
        var e = assertThrows(DataFormatException.class, () -> Datasets.alpaca(tmp.resolve("nope.json")));
        assertEquals("no such file", e.problem());
        Path f = tmp.resolve("rows.json");
        Files.writeString(f, "[{\"a\": \"x\", \"n\": 3, \"l\": [1, 2]}]");
        Row r = Datasets.json(f).get(0);
        assertEquals("x", r.get("a"));
        assertEquals("3", r.get("n"));
        assertEquals("[1,2]", r.get("l"));
    }

    @Test
    void textDocumentsByDelimiterOrBlankLines() throws IOException {
        Path f = tmp.resolve("docs.txt");
        Files.writeString(f, "\n\nOne.\nStill one.\n<|endoftext|>\nTwo.<|endoftext|>Three.\n<|endoftext|>\nFour, cut o");
        assertEquals(List.of("One.\nStill one.", "Two.", "Three.", "Four, cut o"),
                Datasets.text(f, "<|endoftext|>").stream().map(TextDocument::text).toList());
        Dataset<TextDocument> dropped = Datasets.text(f, "<|endoftext|>", true);
        assertEquals(3, dropped.size());
        assertEquals(List.of("docs.txt: dropped the 11 characters after the last <|endoftext|>: a document cut off at the end of the file"),
                dropped.report().notes());

        Files.writeString(f, "Para one\nline two\n\n\n  \nPara two\n");
        assertEquals(List.of("Para one\nline two", "Para two"), Datasets.text(f).stream().map(TextDocument::text).toList());
    }
}
