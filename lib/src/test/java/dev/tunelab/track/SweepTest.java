package dev.tunelab.track;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.display.MimeBundles;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import tech.tablesaw.api.Table;

class SweepTest {
    /** A number with seven or more decimals: noise that {@link dev.tunelab.display.Numbers} rounds away. */
    static final Pattern NOISY = Pattern.compile("\\d+\\.\\d{7,}");

    /** A bowl with its minimum at lr = 10^-2.5 and rank 8: the sweep must find the grid point nearest to it. */
    static double bowl(double lr, int rank) {
        return Math.pow(Math.log10(lr) + 2.5, 2) + Math.abs(rank - 8) / 10.0;
    }

    @Test
    void gridTriesEveryCombinationAndRanksThem() {
        SweepSpace space = SweepSpace.create().values("lr", 1e-4, 1e-3, 1e-2).values("rank", 4, 8);
        assertEquals(List.of(Map.of("lr", 1e-4, "rank", 4), Map.of("lr", 1e-4, "rank", 8), Map.of("lr", 1e-3, "rank", 4),
                Map.of("lr", 1e-3, "rank", 8), Map.of("lr", 1e-2, "rank", 4), Map.of("lr", 1e-2, "rank", 8)), space.grid());
        SweepResult r = Sweep.grid(space).name("bowl").minimize("loss").run(t -> {
            if (t.index() == 5) {
                throw new IllegalStateException("diverged");
            }
            return Map.of("loss", bowl(t.getDouble("lr"), t.getInt("rank")), "extra", Map.of("n", t.index()));
        });
        // bowl: lr 1e-3 and 1e-2 are both 0.5 decades away (0.25); rank 8 adds 0, so trial 3 (1e-3, 8) is best
        assertEquals(3, r.best().orElseThrow().trial().index());
        assertEquals("bowl-3", r.best().orElseThrow().trial().name());
        Table t = r.table();
        assertEquals(List.of("trial", "run", "lr", "rank", "loss", "extra.n", "status"), t.columnNames());
        assertEquals(3, t.intColumn("trial").get(0));
        assertEquals(0.25, t.doubleColumn("loss").get(0), 1e-12);
        assertEquals("failed: IllegalStateException: diverged", t.stringColumn("status").get(5));
        assertTrue(t.doubleColumn("loss").isMissing(5));
        XYChart chart = r.chart("lr");
        assertEquals("bowl: loss vs lr", chart.getTitle());
        assertEquals("lr", chart.getXAxisTitle());
        assertEquals("loss", chart.getYAxisTitle());
        // learning rates spanning two decades: the chart holds log10(lr), its ticks read as learning rates
        assertArrayEquals(new double[] {-4, -4, -3, -3, -2}, chart.getSeriesMap().get("loss").getXData(), 1e-12);
        assertArrayEquals(new double[] {bowl(1e-4, 4), bowl(1e-4, 8), bowl(1e-3, 4), bowl(1e-3, 8), bowl(1e-2, 4)},
                chart.getSeriesMap().get("loss").getYData(), 1e-12);
        var tick = chart.getStyler().getxAxisTickLabelsFormattingFunction();
        assertEquals(List.of("1e-4", "0.001", "0.01"), List.of(tick.apply(-4.0), tick.apply(-3.0), tick.apply(-2.0)));
        assertFalse(chart.getStyler().isXAxisLogarithmic(), "XChart's own log axis labels only decades, as 1E-4");
        Map<String, String> bundle = MimeBundles.of(r);
        String html = bundle.get(MimeBundles.HTML);
        assertTrue(html.contains("best: <b>bowl-3</b> {lr=0.001, rank=8}, loss = 0.25</p>") && html.contains("image/png;base64"), html);
        assertTrue(bundle.get(MimeBundles.TEXT).endsWith("\nbest: bowl-3 {lr=0.001, rank=8}, loss = 0.25"), bundle.get(MimeBundles.TEXT));
        for (String shown : bundle.values()) {
            assertFalse(NOISY.matcher(shown).find(), shown);
        }
        assertThrows(IllegalStateException.class,
                () -> Sweep.grid(SweepSpace.create().logUniform("lr", 1e-4, 1e-2)).minimize("loss").configs());
    }

    @Test
    void aLargeSweepShowsItsBestFortyTrialsAndTheBestValueRounded() {
        Object[] lrs = new Object[45];
        for (int i = 0; i < lrs.length; i++) lrs[i] = 1e-4 * (i + 1);
        SweepResult r = Sweep.grid(SweepSpace.create().values("lr", lrs)).name("wide").minimize("loss")
                .run(t -> Map.of("loss", 1 / 3.0 + t.getDouble("lr")));
        assertEquals(45, r.table().rowCount());
        String text = MimeBundles.of(r).get(MimeBundles.TEXT);
        assertTrue(text.contains("\n... 5 more rows\n"), text);
        // 1/3 + 1e-4 = 0.3334333...: four significant digits, not seventeen
        assertTrue(text.endsWith("best: wide-0 {lr=0.0001}, loss = 0.3334"), text);
        assertFalse(NOISY.matcher(text).find(), text);
        String html = MimeBundles.of(r).get(MimeBundles.HTML);
        assertEquals(40, html.split("<tr>", -1).length - 2, "40 trial rows and the header");
        assertTrue(html.contains("... 5 more rows"), html);
        // a sweep named by a run id: the chart title says what is plotted, without the id
        SweepResult stamped = Sweep.grid(SweepSpace.create().values("lr", 1e-4, 1e-2)).name("20261206-031001-lr")
                .minimize("loss").run(t -> Map.of("loss", t.getDouble("lr")));
        assertEquals("loss vs lr", stamped.chart("lr").getTitle());
    }

    @Test
    void randomSearchIsReproducibleAndDrawsFromTheDistributions() {
        SweepSpace space = SweepSpace.create().logUniform("lr", 1e-4, 1e-2).intUniform("rank", 2, 4)
                .uniform("dropout", 0.0, 0.5).values("target", "qv", "all");
        List<Map<String, Object>> a = Sweep.random(space, 4000, 7).configs();
        assertEquals(a, Sweep.random(space, 4000, 7).configs());
        int belowGeometricMean = 0;
        int[] ranks = new int[5];
        for (Map<String, Object> c : a) {
            double lr = (double) c.get("lr");
            assertTrue(lr >= 1e-4 && lr < 1e-2, "lr " + lr);
            if (lr < 1e-3) {
                belowGeometricMean++;
            }
            ranks[(int) c.get("rank")]++;
            double dropout = (double) c.get("dropout");
            assertTrue(dropout >= 0 && dropout < 0.5);
            assertTrue(List.of("qv", "all").contains(c.get("target")));
        }
        // log-uniform: half the mass below the geometric mean 1e-3 (binomial sd 0.008 at n=4000)
        assertEquals(0.5, belowGeometricMean / 4000.0, 0.04);
        // integer uniform on {2,3,4}, both ends included
        for (int r = 2; r <= 4; r++) {
            assertEquals(1 / 3.0, ranks[r] / 4000.0, 0.04);
        }
        assertEquals(0, ranks[0] + ranks[1]);
    }

    @Test
    void theSameSweepAsAWandbSweepConfigAndTheAgentsArguments(@TempDir Path tmp) throws Exception {
        SweepSpace space = SweepSpace.create().logUniform("lr", 1e-4, 1e-2).values("rank", 4, 8).intUniform("epochs", 1, 3)
                .uniform("dropout", 0.0, 0.2);
        Path file = Sweep.random(space, 12, 1).name("lora").minimize("final_eval_loss")
                .writeWandbConfig(tmp.resolve("sweep.json"), List.of("java", "-cp", "app.jar", "Train"));
        // the keys and distribution names of W&B's sweep configuration (docs.wandb.ai, "Sweep configuration options")
        String expected = """
                {"name":"lora","method":"random","metric":{"name":"final_eval_loss","goal":"minimize"},
                 "parameters":{"lr":{"distribution":"log_uniform_values","min":1.0E-4,"max":0.01},
                   "rank":{"values":[4,8]},"epochs":{"distribution":"int_uniform","min":1,"max":3},
                   "dropout":{"distribution":"uniform","min":0.0,"max":0.2}},
                 "run_cap":12,"command":["java","-cp","app.jar","Train","${args}"]}""";
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        assertEquals(json.readTree(expected), json.readTree(java.nio.file.Files.readString(file)));
        assertEquals("grid", Sweep.grid(SweepSpace.create().values("rank", 4, 8)).maximize("acc").toWandbConfig(List.of("x"))
                .get("method"));

        Trial t = Trial.fromArgs("lora", "--lr=0.0003", "--rank=8", "--name", "qv", "--bias=False", "--flag");
        assertEquals(0.0003, t.getDouble("lr"));
        assertEquals(8, t.getInt("rank"));
        assertEquals(8L, t.get("rank"));
        assertEquals("qv", t.get("name"));
        assertEquals(false, t.get("bias"));
        assertEquals(true, t.get("flag"));
        var bad = assertThrows(IllegalArgumentException.class, () -> Trial.fromArgs("s", "lr=1"));
        assertTrue(bad.getMessage().contains("--name=value"), bad.getMessage());
    }

    @Test
    void trialRunsLandInTheRunStoreAndCompare(@TempDir Path tmp) {
        SweepResult r = Sweep.grid(SweepSpace.create().values("lr", 0.1, 0.2)).name("toy").minimize("final_loss").run(t -> {
            try (Run run = t.run(tmp)) {
                double loss = 1.0;
                for (int step = 1; step <= 5; step++) {
                    loss *= 1 - t.getDouble("lr");
                    run.log(step, Map.of("loss", loss));
                }
                run.summary(Map.of("final_loss", loss));
                return run.summary();
            }
        });
        assertEquals("toy-1", r.best().orElseThrow().trial().name());
        Runs runs = Runs.open(tmp);
        assertEquals(2, runs.size());
        assertEquals(Math.pow(0.8, 5), (double) runs.where("trial", 1).list().get(0).summary().get("final_loss"), 1e-12);
        assertEquals(2, runs.where("sweep", "toy").chart("loss").getSeriesMap().size());
    }
}
