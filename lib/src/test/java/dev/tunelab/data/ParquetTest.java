package dev.tunelab.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parquet files written by DuckDB itself, read back into tunelab's examples. */
class ParquetTest {

    @TempDir
    Path dir;

    private Path write(String name, String select) {
        Path f = dir.resolve(name);
        Parquet.execute("COPY (" + select + ") TO " + Parquet.literal(f) + " (FORMAT parquet)");
        return f;
    }

    @Test
    void readsAlpacaColumns() {
        Path f = write("alpaca.parquet", "SELECT * FROM (VALUES ('Add 2 and 3.', '', '5'), ('Say hi', 'to Bo', 'Hi Bo!')) "
                + "t(instruction, input, output)");
        Dataset<AlpacaExample> d = Parquet.read(f, Format.ALPACA, LoadOptions.strict());
        assertEquals(List.of(new AlpacaExample("Add 2 and 3.", "", "5"), new AlpacaExample("Say hi", "to Bo", "Hi Bo!")), d.rows());
        assertEquals("alpaca", d.name());
        assertEquals(2, Parquet.rowCount(f));
        assertEquals("VARCHAR", Parquet.columns(f).get("output"));
    }

    @Test
    void readsConversationalMessagesAsChat() {
        Path f = write("chat.parquet", "SELECT [{'role': 'user', 'content': 'Hi'}, {'role': 'assistant', 'content': 'Hello!'}] "
                + "AS messages, 'x1' AS prompt_id");
        assertEquals("STRUCT(\"role\" VARCHAR, \"content\" VARCHAR)[]", Parquet.columns(f).get("messages"));
        ChatExample c = Parquet.read(f, Format.CHAT, LoadOptions.strict()).get(0);
        assertEquals(List.of(new ChatExample.Message("user", "Hi"), new ChatExample.Message("assistant", "Hello!")), c.messages());
    }

    @Test
    void readsTrlPreferenceFormats() {
        // implicit prompt (trl-lib/ultrafeedback_binarized): the shared turns before the last
        Path implicit = write("implicit.parquet", "SELECT "
                + "[{'role': 'user', 'content': 'Capital of France?'}, {'role': 'assistant', 'content': 'Paris.'}] AS chosen, "
                + "[{'role': 'user', 'content': 'Capital of France?'}, {'role': 'assistant', 'content': 'Lyon.'}] AS rejected, "
                + "9.0 AS score_chosen");
        assertEquals(new PreferenceExample("Capital of France?", "Paris.", "Lyon."),
                Parquet.read(implicit, Format.PREFERENCE, LoadOptions.strict()).get(0));
        // explicit conversational prompt of two turns
        Path explicit = write("explicit.parquet", "SELECT "
                + "[{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': '2+2?'}] AS prompt, "
                + "[{'role': 'assistant', 'content': '4'}] AS chosen, [{'role': 'assistant', 'content': '5'}] AS rejected");
        assertEquals(new PreferenceExample("system: Be brief.\nuser: 2+2?\n", "4", "5"),
                Parquet.read(explicit, Format.PREFERENCE, LoadOptions.strict()).get(0));
        // HuggingFaceH4/ultrafeedback_binarized: prompt string, completions as whole conversations
        Path h4 = write("h4.parquet", "SELECT 'Q?' AS prompt, "
                + "[{'role': 'user', 'content': 'Q?'}, {'role': 'assistant', 'content': 'A.'}] AS chosen, "
                + "[{'role': 'user', 'content': 'Q?'}, {'role': 'assistant', 'content': 'B.'}] AS rejected");
        assertEquals(new PreferenceExample("Q?", "A.", "B."), Parquet.read(h4, Format.PREFERENCE, LoadOptions.strict()).get(0));
        // implicit prompts that differ: a bad row naming the column
        Path differ = write("differ.parquet", "SELECT "
                + "[{'role': 'user', 'content': 'A?'}, {'role': 'assistant', 'content': 'a'}] AS chosen, "
                + "[{'role': 'user', 'content': 'B?'}, {'role': 'assistant', 'content': 'b'}] AS rejected");
        var e = assertThrows(DataFormatException.class, () -> Parquet.read(differ, Format.PREFERENCE, LoadOptions.strict()));
        assertEquals("rejected", e.field());
        assertEquals(1, e.row());
    }

    @Test
    void readsPromptCompletion() {
        Path f = write("pc.parquet", "SELECT 'The sky is' AS prompt, ' blue.' AS completion");
        assertEquals(new AlpacaExample("The sky is", "", " blue."), Parquet.read(f, Format.PROMPT_COMPLETION, LoadOptions.strict()).get(0));
        Path conv = write("pcc.parquet", "SELECT [{'role': 'user', 'content': 'Hi'}] AS prompt, "
                + "[{'role': 'assistant', 'content': 'Hey'}] AS completion");
        assertEquals(2, Parquet.read(conv, Format.CHAT, LoadOptions.strict()).get(0).messages().size());
    }

    @Test
    void missingColumnNamesTheFileAndItsColumns() {
        Path f = write("nooutput.parquet", "SELECT 'q' AS instruction, 'a' AS answer");
        var e = assertThrows(DataFormatException.class, () -> Parquet.read(f, Format.ALPACA, LoadOptions.strict()));
        assertEquals(f + ": row 1: field \"output\": missing: no such column; the file's columns are "
                + "{instruction=VARCHAR, answer=VARCHAR}", e.getMessage());
        // the mapping reads it under another name
        assertEquals("a", Parquet.read(f, Format.ALPACA, LoadOptions.strict().map("output", "answer")).get(0).output());
    }

    @Test
    void wrongTypedColumnNamesRowFieldAndType() {
        Path f = write("typed.parquet", "SELECT * FROM (VALUES ('q1', 'a1'), ('q2', NULL)) t(instruction, output) "
                + "UNION ALL SELECT 'q3', 7::BIGINT::VARCHAR");
        Path bad = write("bigint.parquet", "SELECT 'q' AS instruction, 42::BIGINT AS output");
        var e = assertThrows(DataFormatException.class, () -> Parquet.read(bad, Format.ALPACA, LoadOptions.strict()));
        assertEquals(bad + ": row 1: field \"output\": expected a string, got number 42 (the column's type is BIGINT)", e.getMessage());
        // a null in row 2 is a bad row; skipping keeps rows 1 and 3 and reports row 2
        var d = Parquet.read(f, Format.ALPACA, LoadOptions.skipBadRows());
        assertEquals(List.of("q1", "q3"), d.stream().map(AlpacaExample::instruction).toList());
        assertEquals(1, d.report().skipped());
        assertTrue(d.report().firstErrors().get(0).startsWith(f + ": row 2: field \"output\": is null"), d.report().toString());
    }

    @Test
    void wrongTypedMessagesNameTheColumnOrTheNestedField() {
        Path text = write("text.parquet", "SELECT 'user: Hi' AS messages");
        var e = assertThrows(DataFormatException.class, () -> Parquet.read(text, Format.CHAT, LoadOptions.strict()));
        assertEquals(text + ": row 1: field \"messages\": expected a list, got a string (the column's type is VARCHAR)", e.getMessage());
        Path noRole = write("norole.parquet", "SELECT [{'speaker': 'user', 'content': 'Hi'}] AS messages");
        var n = assertThrows(DataFormatException.class, () -> Parquet.read(noRole, Format.CHAT, LoadOptions.strict()));
        assertEquals(noRole + ": row 1: field \"messages[0].role\": missing (the column messages is "
                + "STRUCT(speaker VARCHAR, \"content\" VARCHAR)[])", n.getMessage());
    }

    @Test
    void notParquetAndMissingFilesAreNamed() throws Exception {
        Path txt = Files.writeString(dir.resolve("x.parquet"), "hello, not parquet at all");
        var e = assertThrows(DataFormatException.class, () -> Parquet.read(txt, Format.ALPACA, LoadOptions.strict()));
        assertTrue(e.getMessage().startsWith(txt + ": not a Parquet file"), e.getMessage());
        var m = assertThrows(DataFormatException.class, () -> Parquet.read(dir.resolve("none.parquet"), Format.ALPACA, LoadOptions.strict()));
        assertEquals(dir.resolve("none.parquet") + ": no such file", m.getMessage());
    }

    @Test
    void streamsRowsLazilyAcrossShards() {
        Path a = write("train-00000-of-00002.parquet", "SELECT 'i' || range AS instruction, 'o' || range AS output FROM range(5000)");
        Path b = write("train-00001-of-00002.parquet", "SELECT 'j' AS instruction, 'p' AS output");
        try (Stream<AlpacaExample> s = Parquet.stream(List.of(a, b), Format.ALPACA, LoadOptions.strict())) {
            Iterator<AlpacaExample> it = s.iterator();
            assertEquals("i0", it.next().instruction());
            assertEquals("i1", it.next().instruction());
        }
        try (Stream<AlpacaExample> s = Parquet.stream(List.of(a, b), Format.ALPACA, LoadOptions.strict())) {
            assertEquals(5001, s.count());
        }
        Dataset<AlpacaExample> d = Parquet.read(List.of(a, b), Format.ALPACA, LoadOptions.strict());
        assertEquals(5001, d.size());
        assertEquals("j", d.get(5000).instruction());
        assertEquals("train", d.name());
    }
}
