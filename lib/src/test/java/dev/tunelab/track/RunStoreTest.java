package dev.tunelab.track;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.display.MimeBundles;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

class RunStoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Run.Builder local(Path runs, String name) {
        return Run.builder(name).runsDir(runs).wandb(WandbSettings.disabled());
    }

    @Test
    void historyLinesAreFlatAppendedAndReadBack(@TempDir Path tmp) throws Exception {
        Run run = local(tmp, "flat").config(Map.of("lr", 0.01)).start();
        run.log(1, Map.of("loss", 0.5, "eval", Map.of("loss", 0.75, "acc", Map.of("top1", 0.25))));
        run.log(2, Map.of("loss", Double.NaN));
        List<String> lines = Files.readAllLines(run.dir().resolve("history.jsonl"));
        assertEquals(2, lines.size());
        JsonNode first = JSON.readTree(lines.get(0));
        assertEquals(1, first.path("step").asInt());
        assertEquals(0.75, first.path("eval.loss").asDouble());
        assertEquals(0.25, first.path("eval.acc.top1").asDouble());
        assertEquals("{\"step\":2,\"loss\":NaN}", lines.get(1));
        // a killed process leaves a torn last line: reopening keeps everything before it
        Files.writeString(run.dir().resolve("history.jsonl"), "{\"step\":3,\"lo", StandardOpenOption.APPEND);
        run.close();
        Run again = local(tmp, "flat").id(run.id()).start();
        assertEquals(2, again.history().size());
        assertTrue(Double.isNaN(((Number) again.history().get(1).get("loss")).doubleValue()));
        again.close();
        // resuming from a checkpoint at step 1 forgets step 2
        Run resumed = local(tmp, "flat").id(run.id()).keepUpToStep(1).start();
        assertEquals(1, resumed.history().size());
        assertEquals(1, Files.readAllLines(run.dir().resolve("history.jsonl")).size());
        resumed.close();

        var bad = assertThrows(IllegalArgumentException.class, () -> resumed.log(4, Map.of("when", new Object())));
        assertTrue(bad.getMessage().contains("'when'") && bad.getMessage().contains("java.lang.Object"), bad.getMessage());
    }

    @Test
    void mediaAreSavedAsRunFilesAndReferencedFromTheRow(@TempDir Path tmp) throws Exception {
        Run run = local(tmp, "media").start();
        BufferedImage image = new BufferedImage(5, 7, BufferedImage.TYPE_INT_RGB);
        image.setRGB(2, 3, 0xff0000);
        XYChart chart = new XYChartBuilder().width(120).height(80).build();
        chart.addSeries("s", new double[] {0, 1}, new double[] {1, 0});
        Table table = Table.create("t", StringColumn.create("prompt", "a", "b"), IntColumn.create("len", 3, 4));
        run.log(10, Map.of("sample", image, "curves/loss", chart, "preds", table));

        Map<String, Object> row = run.history().get(0);
        @SuppressWarnings("unchecked") Map<String, Object> img = (Map<String, Object>) row.get("sample");
        Path png = run.dir().resolve("files").resolve((String) img.get("path"));
        byte[] bytes = Files.readAllBytes(png);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        assertEquals("media/images/sample_10_" + sha.substring(0, 20) + ".png", img.get("path"));
        assertEquals(sha, img.get("sha256"));
        assertEquals(bytes.length, img.get("size"));
        assertEquals(0xff0000, ImageIO.read(png.toFile()).getRGB(2, 3) & 0xffffff);
        assertEquals(5, img.get("width"));

        @SuppressWarnings("unchecked") Map<String, Object> ch = (Map<String, Object>) row.get("curves/loss");
        assertTrue(((String) ch.get("path")).startsWith("media/images/curves_loss_10_"));
        BufferedImage drawn = ImageIO.read(run.dir().resolve("files").resolve((String) ch.get("path")).toFile());
        assertEquals(120, drawn.getWidth());
        assertEquals(80, drawn.getHeight());

        @SuppressWarnings("unchecked") Map<String, Object> tb = (Map<String, Object>) row.get("preds");
        assertEquals("table-file", tb.get("_type"));
        assertEquals(2, tb.get("ncols"));
        assertEquals(2, tb.get("nrows"));
        String tableJson = Files.readString(run.dir().resolve("files").resolve((String) tb.get("path")));
        assertEquals("{\"columns\":[\"prompt\",\"len\"],\"data\":[[\"a\",3],[\"b\",4]]}", tableJson);

        run.saveFile("notes/readme.txt", "hi".getBytes(StandardCharsets.UTF_8));
        assertEquals(4, run.files().size());
        assertTrue(run.files().contains("notes/readme.txt"));
        var bad = assertThrows(IllegalArgumentException.class, () -> run.saveFile("../escape.txt", new byte[1]));
        assertTrue(bad.getMessage().contains("../escape.txt"));
        run.finish(0);
        assertEquals(0, run.summary().get("_exit_code"));
    }

    @Test
    void sinksSeeEveryEventInOrder(@TempDir Path tmp) {
        List<String> events = new ArrayList<>();
        RunSink probe = new RunSink() {
            public void started(RunInfo info) { events.add("started " + info.config().get("lr") + " " + info.resumed()); }
            public void config(Map<String, Object> c) { events.add("config " + c.get("batch")); }
            public void history(long step, Map<String, Object> m) { events.add("history " + step + " " + m); }
            public void summary(Map<String, Object> s) { events.add("summary " + s.get("best")); }
            public void file(String name, Path path) { events.add("file " + name + " " + Files.exists(path)); }
            public void console(String line, boolean error) { events.add("console " + line); }
            public void finished(int code) { events.add("finished " + code); }
            public void close() { events.add("close"); }
        };
        Run run = local(tmp, "probe").config(Map.of("lr", 0.5)).sink(probe).start();
        run.config(Map.of("batch", 8));
        run.log(3, Map.of("a", Map.of("b", 1)));
        run.saveFile("x.txt", new byte[] {1});
        run.print("hello");
        run.summary(Map.of("best", 2));
        run.finish(1);
        assertEquals(List.of("started 0.5 false", "config 8", "history 3 {a.b=1}", "file x.txt true", "console hello",
                "summary 2", "summary 2", "finished 1", "close"), events);
    }

    @Test
    void aNotebookShowsFortyRuns(@TempDir Path tmp) {
        List<RunRecord> records = new ArrayList<>();
        for (int i = 0; i < 45; i++) {
            records.add(new RunRecord("run-" + i, tmp.resolve("run-" + i), Map.of("lr", 1e-4 * (i + 1)),
                    Map.of("final_loss", 1 / 3.0 + i)));
        }
        Runs runs = Runs.of(records);
        assertEquals(45, runs.table().rowCount());
        Map<String, String> bundle = MimeBundles.of(runs);
        assertTrue(bundle.get(MimeBundles.HTML).contains("<td>run-39</td>"), bundle.get(MimeBundles.HTML));
        assertFalse(bundle.get(MimeBundles.HTML).contains("<td>run-40</td>"), bundle.get(MimeBundles.HTML));
        assertTrue(bundle.get(MimeBundles.TEXT).endsWith("\n... 5 more rows"), bundle.get(MimeBundles.TEXT));
        for (String shown : bundle.values()) {
            assertFalse(java.util.regex.Pattern.compile("\\d+\\.\\d{7,}").matcher(shown).find(), shown);
        }
    }

    @Test
    void runsCompareAsATableFiltersGroupsAndCharts(@TempDir Path tmp) {
        double[][] arms = {{1e-4, 4}, {1e-3, 4}, {1e-2, 8}, {1e-3, 8}};
        for (int i = 0; i < arms.length; i++) {
            Run run = local(tmp, "arm" + i).id("run-" + i).config(Map.of("lr", arms[i][0], "lora", Map.of("rank", (int) arms[i][1]), "targets", List.of("q", "v")))
                    .start();
            for (int step = 1; step <= 3; step++) {
                run.log(step, Map.of("loss", 10.0 * i + step));
            }
            run.summary(Map.of("final_loss", 10.0 * i + 3));
            run.finish(0);
        }
        Runs runs = Runs.open(tmp.toString());
        Table t = runs.table();
        // run id first, then config columns (in config.json order), then summary columns
        assertEquals("run", t.columnNames().get(0));
        assertEquals(java.util.Set.of("lr", "lora.rank", "targets"), java.util.Set.copyOf(t.columnNames().subList(1, 4)));
        assertEquals(List.of("final_loss", "_exit_code"), t.columnNames().subList(4, 6));
        assertEquals(4, t.rowCount());
        assertEquals("[q, v]", t.stringColumn("targets").get(0));
        assertArrayEquals(new double[] {3, 13, 23, 33}, ((DoubleColumn) t.column("final_loss")).asDoubleArray());

        assertEquals(List.of("run-2", "run-3"), runs.where("lora.rank", 8).list().stream().map(RunRecord::id).toList());
        assertEquals("run-0", runs.best("final_loss").orElseThrow().id());

        Table byRank = runs.groupBy("lora.rank", "final_loss");
        assertEquals(2, byRank.rowCount());
        assertEquals(8.0, byRank.doubleColumn(2).get(0)); // rank 4: mean(3, 13)
        assertEquals(28.0, byRank.doubleColumn(2).get(1)); // rank 8: mean(23, 33)
        assertEquals(List.of("4", "8"), byRank.stringColumn("lora.rank").asList());
        // numeric keys read as Numbers writes them: 0.0001, not 1.0E-4
        Table byLr = runs.groupBy("lr", "final_loss");
        assertEquals(List.of("0.0001", "0.001", "0.01"), byLr.stringColumn("lr").asList());
        assertEquals(23.0, byLr.doubleColumn(2).get(1)); // lr 0.001: mean(13, 33)

        XYChart curves = runs.chart("loss");
        assertEquals("loss by step", curves.getTitle());
        assertEquals("loss", curves.getYAxisTitle());
        assertEquals(4, curves.getSeriesMap().size());
        // series are named by the config values that differ (lr, lora.rank), not by run id
        String third = curves.getSeriesMap().keySet().stream().filter(n -> n.contains("lr=0.01,") || n.endsWith("lr=0.01"))
                .findFirst().orElseThrow(() -> new AssertionError(curves.getSeriesMap().keySet().toString()));
        assertTrue(third.contains("lora.rank=8") && !third.contains("targets"), third);
        assertArrayEquals(new double[] {21, 22, 23}, curves.getSeriesMap().get(third).getYData());
        assertTrue(curves.getSeriesMap().keySet().stream().noneMatch(n -> n.contains("run-")), curves.getSeriesMap().keySet().toString());

        XYChart perRank = runs.chart("Loss by step for each LoRA rank", "loss", "lora.rank");
        assertEquals("Loss by step for each LoRA rank", perRank.getTitle());
        assertEquals(List.of("lora.rank=4", "lora.rank=4 #2", "lora.rank=8", "lora.rank=8 #2"),
                List.copyOf(perRank.getSeriesMap().keySet()));
        assertArrayEquals(new double[] {31, 32, 33}, perRank.getSeriesMap().get("lora.rank=8 #2").getYData());

        XYChart vsLr = runs.chartAgainst("lr", "final_loss");
        assertEquals("final_loss vs lr", vsLr.getTitle());
        // a log axis drawn over log10(lr), ticks labelled in learning-rate units
        assertArrayEquals(new double[] {-4, -3, -2, -3}, vsLr.getSeriesMap().get("final_loss").getXData(), 1e-12);
        assertEquals("1e-4", vsLr.getStyler().getxAxisTickLabelsFormattingFunction().apply(-4.0));
        var bad = assertThrows(IllegalArgumentException.class, () -> runs.chartAgainst("targets", "final_loss"));
        assertTrue(bad.getMessage().contains("groupBy"));

        Map<String, String> bundle = MimeBundles.of(runs);
        assertTrue(bundle.get(MimeBundles.HTML).contains("<td>run-3</td>"), bundle.get(MimeBundles.HTML));
    }
}
