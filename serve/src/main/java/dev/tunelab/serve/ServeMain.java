package dev.tunelab.serve;

import dev.tunelab.track.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code bin/serve MODEL_DIR [--adapter NAME=DIR ...] [--port N] [--host H] [--queue N]
 * [--max-batch N] [--batch-wait-ms MS] [--ab NAME=MODEL:W,MODEL:W] [--seed S] [--runs DIR]}: serves a model folder and its LoRA
 * adapters on an OpenAI-compatible API until stopped (Ctrl-C). With {@code --ab} (or {@code
 * --runs}) every response is logged to a run in the run store (default {@code runs/}).
 */
public final class ServeMain {
    private ServeMain() {}

    static final String USAGE = """
            usage: bin/serve MODEL_DIR [--adapter NAME=DIR ...] [--port N] [--host H] [--queue N]
                             [--max-batch N] [--batch-wait-ms MS]
                             [--ab NAME=MODEL:WEIGHT,MODEL:WEIGHT] [--seed S] [--runs DIR]
              MODEL_DIR          a Hugging Face model folder, served under its folder name
              --adapter NAME=DIR a PEFT LoRA adapter folder, served under NAME (repeatable)
              --port N           port (default 8000)          --host H   address (default 127.0.0.1)
              --queue N          requests that may wait before 429 (default 256)
              --max-batch N      most concurrent requests run in one batch (default 8; 1: no batching)
              --batch-wait-ms MS how long to wait for a batch to fill (default 5)
              --ab NAME=...      an A/B test: requests for NAME go to the arms by weight
              --seed S           the A/B router's seed (default 0)
              --runs DIR         log every response to a run under DIR (default runs/ when --ab is given)
            """;

    public static void main(String[] args) throws Exception {
        Path modelDir = null;
        Map<String, Path> adapters = new LinkedHashMap<>();
        int port = 8000;
        int queue = 256;
        int maxBatch = 8;
        int batchWaitMs = 5;
        String host = "127.0.0.1";
        String ab = null;
        long seed = 0;
        Path runs = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                System.out.print(USAGE);
                return;
            }
            if (!a.startsWith("--")) {
                if (modelDir != null) {
                    fail("a second MODEL_DIR '" + a + "'");
                }
                modelDir = Path.of(a);
                continue;
            }
            if (i + 1 >= args.length) {
                fail(a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--adapter" -> {
                    int eq = v.indexOf('=');
                    if (eq <= 0) {
                        fail("--adapter " + v + ": expected NAME=DIR");
                    }
                    if (adapters.put(v.substring(0, eq), Path.of(v.substring(eq + 1))) != null) {
                        fail("--adapter " + v.substring(0, eq) + " given twice");
                    }
                }
                case "--port" -> port = parseInt(a, v);
                case "--queue" -> queue = parseInt(a, v);
                case "--max-batch" -> maxBatch = parseInt(a, v);
                case "--batch-wait-ms" -> batchWaitMs = parseInt(a, v);
                case "--host" -> host = v;
                case "--ab" -> ab = v;
                case "--seed" -> seed = Long.parseLong(v);
                case "--runs" -> runs = Path.of(v);
                default -> fail("unknown option " + a);
            }
        }
        if (maxBatch < 1) {
            fail("--max-batch " + maxBatch + ": must be at least 1 (1 turns batching off)");
        }
        if (batchWaitMs < 0) {
            fail("--batch-wait-ms " + batchWaitMs + ": must be at least 0");
        }
        if (modelDir == null || !Files.isDirectory(modelDir)) {
            fail(modelDir == null ? "MODEL_DIR is missing" : "no model folder " + modelDir);
        }
        ServedModels models = ServedModels.load(modelDir, adapters);
        AbTest abTest = ab == null ? null : AbTest.parse(ab, seed);
        if (abTest != null && runs == null) {
            runs = Path.of("runs");
        }
        Run run = null;
        if (runs != null) {
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("model_dir", modelDir.toAbsolutePath().normalize().getFileName().toString());
            config.put("served", String.join(",", models.names()));
            config.put("ab", ab);
            config.put("seed", seed);
            run = Run.builder(abTest != null ? "ab-" + abTest.name() : "serve").runsDir(runs).config(config).start();
        }
        OpenAiServer.Builder b = OpenAiServer.builder(models).host(host).port(port).queueCapacity(queue).abTest(abTest)
                .maxBatch(maxBatch).batchWait(java.time.Duration.ofMillis(batchWaitMs));
        if (run != null) {
            b.onCompleted(new ResponseLog(run));
        }
        // The first generation compiles the decoder's hot loops (seconds); pay it before the first client does.
        models.languageModel().generate("Once", dev.tunelab.generate.GenerationConfig.greedy().maxNewTokens(2));
        OpenAiServer server = b.start();
        System.out.println("serving " + models.names() + (abTest != null ? " and A/B test " + abTest : "") + " at http://"
                + host + ":" + server.port() + "/v1" + (run != null ? "; responses logged to " + run.dir() : ""));
        CountDownLatch stopped = new CountDownLatch(1);
        Run finalRun = run;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            if (finalRun != null) {
                finalRun.close();
            }
            models.close();
            stopped.countDown();
        }));
        stopped.await();
    }

    private static int parseInt(String option, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            fail(option + " " + v + ": not an integer");
            return 0;
        }
    }

    private static void fail(String message) {
        System.err.println("bin/serve: " + message);
        System.err.print(USAGE);
        System.exit(2);
    }
}
