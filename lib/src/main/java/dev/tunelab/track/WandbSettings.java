package dev.tunelab.track;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * How to reach Weights &amp; Biases, read from the same environment variables as the wandb SDK
 * (protocol note section 1), plus the retry and batching knobs (tests shrink them). The API key is
 * held here only; {@link #toString()} never shows it.
 */
public final class WandbSettings {
    public enum Mode { ONLINE, OFFLINE, DISABLED }

    static final String DEFAULT_BASE_URL = "https://api.wandb.ai";
    static final Duration DEFAULT_FINISH_TIMEOUT = Duration.ofSeconds(5);

    String apiKey;
    String baseUrl = DEFAULT_BASE_URL;
    String entity;
    String project;
    Mode mode = Mode.ONLINE;
    String runId;
    String displayName;
    String notes;
    String group;
    String jobType;
    /** Set by a W&amp;B sweep agent; the run is reported as part of that sweep. */
    String sweepId;
    List<String> tags = List.of();
    Duration httpTimeout = Duration.ofSeconds(20);
    /** First retry delay; doubles up to {@link #maxBackoff}, 0-25% jitter (protocol note section 3/6). */
    Duration initialBackoff = Duration.ofSeconds(1);
    Duration maxBackoff = Duration.ofSeconds(60);
    /** After retrying this long, a call gives up: the run stays in its local journal for {@code sync}. */
    Duration giveUpAfter = Duration.ofMinutes(10);
    /** Fixed file_stream interval; null follows the SDK's 2 s / 10 s / 30 s schedule. */
    Duration streamInterval;
    Duration heartbeat = Duration.ofSeconds(30);
    /**
     * How long the end of a run ({@code finish}/{@code close}) waits for the upload before leaving
     * the rest to {@code sync}; {@code WANDB_FINISH_TIMEOUT} in seconds, as the SDK's
     * {@code finish_timeout} setting. A few seconds: enough for the last batch and a few quick
     * retries of a 429/5xx, short enough that an unreachable or silent server costs a sweep little.
     */
    Duration finishTimeout = DEFAULT_FINISH_TIMEOUT;
    int queueCapacity = 10_000;
    /** A history line over this is dropped (protocol note section 3); smaller in tests. */
    int maxLineBytes = 10_383_360;
    /** Posts are split so that none carries more than this of lines, below the ~10 MiB limit. */
    int maxPostBytes = 9 * 1024 * 1024;
    Consumer<String> log = line -> System.err.println(line);

    private WandbSettings() {}

    /** Settings from {@code System.getenv()} and {@code ~/.netrc}. */
    public static WandbSettings fromEnvironment() {
        return from(System.getenv(), Path.of(System.getProperty("user.home"), ".netrc"));
    }

    /** W&amp;B switched off. */
    public static WandbSettings disabled() {
        WandbSettings s = new WandbSettings();
        s.mode = Mode.DISABLED;
        return s;
    }

    /** Online settings for this server and key (tests, explicit use from a notebook). */
    public static WandbSettings online(String baseUrl, String apiKey) {
        WandbSettings s = new WandbSettings();
        s.baseUrl = stripSlash(baseUrl);
        s.apiKey = apiKey;
        return s;
    }

    /** Settings from an environment map; {@code netrc} may be null or missing. */
    public static WandbSettings from(Map<String, String> env, Path netrc) {
        WandbSettings s = new WandbSettings();
        s.baseUrl = stripSlash(env.getOrDefault("WANDB_BASE_URL", DEFAULT_BASE_URL));
        s.apiKey = blankToNull(env.get("WANDB_API_KEY"));
        if (s.apiKey == null && netrc != null) {
            s.apiKey = netrcPassword(netrc, URI.create(s.baseUrl).getHost());
        }
        s.entity = blankToNull(env.get("WANDB_ENTITY"));
        s.project = blankToNull(env.get("WANDB_PROJECT"));
        s.runId = blankToNull(env.get("WANDB_RUN_ID"));
        s.displayName = blankToNull(env.get("WANDB_NAME"));
        s.notes = blankToNull(env.get("WANDB_NOTES"));
        s.group = blankToNull(env.get("WANDB_RUN_GROUP"));
        s.jobType = blankToNull(env.get("WANDB_JOB_TYPE"));
        s.sweepId = blankToNull(env.get("WANDB_SWEEP_ID"));
        String tags = blankToNull(env.get("WANDB_TAGS"));
        s.tags = tags == null ? List.of()
                : Arrays.stream(tags.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList();
        if (blankToNull(env.get("WANDB_HTTP_TIMEOUT")) != null) {
            s.httpTimeout = seconds("WANDB_HTTP_TIMEOUT", env.get("WANDB_HTTP_TIMEOUT"));
        }
        if (blankToNull(env.get("WANDB_FINISH_TIMEOUT")) != null) {
            s.finishTimeout = seconds("WANDB_FINISH_TIMEOUT", env.get("WANDB_FINISH_TIMEOUT"));
        }
        String mode = blankToNull(env.get("WANDB_MODE"));
        s.mode = mode == null ? Mode.ONLINE : switch (mode.trim().toLowerCase(Locale.ROOT)) {
            case "online", "run" -> Mode.ONLINE;
            case "offline", "dryrun" -> Mode.OFFLINE;
            case "disabled" -> Mode.DISABLED;
            default -> throw new IllegalArgumentException(
                    "WANDB_MODE is '" + mode + "'; expected online, offline or disabled (or run, dryrun)");
        };
        // UNCONFIRMED in the note: WANDB_DISABLED=true is read as "disabled", the safe reading.
        if ("true".equalsIgnoreCase(String.valueOf(env.get("WANDB_DISABLED")).trim())) {
            s.mode = Mode.DISABLED;
        }
        // Online tracking is switched on by a key; without one nothing is sent.
        if (s.mode == Mode.ONLINE && s.apiKey == null && mode == null) {
            s.mode = Mode.DISABLED;
        }
        if (s.runId != null) {
            checkName("WANDB_RUN_ID", s.runId, 128);
        }
        if (s.project != null) {
            checkName("WANDB_PROJECT", s.project, 128);
        }
        return s;
    }

    public WandbSettings entity(String v) { entity = v; return this; }
    public WandbSettings project(String v) { project = checkName("project", v, 128); return this; }
    public WandbSettings mode(Mode v) { mode = v; return this; }
    /** Resume (or create) this W&amp;B run id instead of a fresh random one. */
    public WandbSettings runId(String v) { runId = checkName("run id", v, 128); return this; }
    public WandbSettings displayName(String v) { displayName = v; return this; }
    /** Report the run as part of this W&amp;B sweep (a sweep agent sets {@code WANDB_SWEEP_ID}). */
    public WandbSettings sweepId(String v) { sweepId = v; return this; }
    public WandbSettings notes(String v) { notes = v; return this; }
    public WandbSettings group(String v) { group = v; return this; }
    public WandbSettings tags(List<String> v) { tags = List.copyOf(v); return this; }
    public WandbSettings httpTimeout(Duration v) { httpTimeout = v; return this; }
    public WandbSettings backoff(Duration initial, Duration max) { initialBackoff = initial; maxBackoff = max; return this; }
    public WandbSettings giveUpAfter(Duration v) { giveUpAfter = v; return this; }
    public WandbSettings streamInterval(Duration v) { streamInterval = v; return this; }
    public WandbSettings heartbeat(Duration v) { heartbeat = v; return this; }
    /** How long the end of a run waits for the upload (default 5 s); the rest stays in the journal for sync. */
    public WandbSettings finishTimeout(Duration v) { finishTimeout = nonNegative("finish timeout", v); return this; }
    public WandbSettings queueCapacity(int v) { queueCapacity = v; return this; }
    /** Where warnings go (default standard error); they never contain the API key. */
    public WandbSettings log(Consumer<String> v) { log = v; return this; }

    /** An independent copy (one per trial of a sweep, each with its own run id). */
    public WandbSettings copy() {
        WandbSettings s = new WandbSettings();
        s.apiKey = apiKey;
        s.baseUrl = baseUrl;
        s.entity = entity;
        s.project = project;
        s.mode = mode;
        s.runId = runId;
        s.displayName = displayName;
        s.notes = notes;
        s.group = group;
        s.jobType = jobType;
        s.sweepId = sweepId;
        s.tags = tags;
        s.httpTimeout = httpTimeout;
        s.initialBackoff = initialBackoff;
        s.maxBackoff = maxBackoff;
        s.giveUpAfter = giveUpAfter;
        s.streamInterval = streamInterval;
        s.heartbeat = heartbeat;
        s.finishTimeout = finishTimeout;
        s.queueCapacity = queueCapacity;
        s.maxLineBytes = maxLineBytes;
        s.maxPostBytes = maxPostBytes;
        s.log = log;
        return s;
    }

    public Mode mode() { return mode; }
    public String baseUrl() { return baseUrl; }
    public boolean hasApiKey() { return apiKey != null; }

    /** True when runs should get a W&amp;B sink: offline (journal only), or online with a key. */
    public boolean enabled() {
        return mode == Mode.OFFLINE || (mode == Mode.ONLINE && apiKey != null);
    }

    /**
     * The run page: the API host without its {@code api.} label, then entity/project/runs/id. (The
     * note says to replace {@code ://api.wandb.}, which would turn api.wandb.ai into "ai"; the SDK
     * drops {@code api.} only, which is what is done here.)
     */
    static String runUrl(String baseUrl, String entity, String project, String run) {
        return baseUrl.replace("://api.", "://") + "/" + entity + "/" + project + "/runs/" + run;
    }

    private static String checkName(String what, String v, int max) {
        // Run ids and project names must not contain / \ # ? % : (protocol note section 1).
        if (v == null || v.isEmpty() || v.length() > max || v.chars().anyMatch(c -> "/\\#?%:".indexOf(c) >= 0)) {
            throw new IllegalArgumentException(what + " '" + v + "' must be 1-" + max
                    + " characters without any of / \\ # ? % :");
        }
        return v;
    }

    private static String netrcPassword(Path netrc, String host) {
        try {
            if (!Files.isReadable(netrc)) {
                return null;
            }
            String[] tokens = Files.readString(netrc, StandardCharsets.UTF_8).trim().split("\\s+");
            boolean inHost = false;
            for (int i = 0; i + 1 < tokens.length; i++) {
                switch (tokens[i]) {
                    case "machine" -> inHost = tokens[++i].equals(host);
                    case "default" -> inHost = false;
                    case "password" -> {
                        if (inHost) {
                            return tokens[i + 1];
                        }
                        i++;
                    }
                    default -> { }
                }
            }
        } catch (IOException e) {
            return null; // no usable netrc: the same as none
        }
        return null;
    }

    /** A duration in seconds from the environment, decimals allowed ("0.5"), as the SDK's timeouts. */
    private static Duration seconds(String name, String value) {
        try {
            double seconds = Double.parseDouble(value.trim());
            if (seconds >= 0 && seconds <= 1e9) {
                return Duration.ofNanos(Math.round(seconds * 1e9));
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + " is '" + value.trim() + "'; expected a number of seconds, e.g. 5 or 0.5");
    }

    private static Duration nonNegative(String what, Duration v) {
        if (v == null || v.isNegative()) {
            throw new IllegalArgumentException(what + " must be zero or more, not " + v);
        }
        return v;
    }

    private static String blankToNull(String v) {
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    @Override
    public String toString() {
        return "WandbSettings(mode=" + mode.name().toLowerCase(Locale.ROOT) + ", base=" + baseUrl + ", key="
                + (apiKey == null ? "none" : "set") + ", entity=" + entity + ", project=" + project
                + (runId == null ? "" : ", run=" + runId) + ")";
    }
}
