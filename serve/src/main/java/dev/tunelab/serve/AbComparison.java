package dev.tunelab.serve;

import dev.tunelab.display.Charts;
import dev.tunelab.display.Charts.Axis;
import dev.tunelab.display.Charts.Series;
import dev.tunelab.eval.WinRate;
import dev.tunelab.eval.WinRateResult;
import dev.tunelab.track.RunRecord;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.XYChart;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * An A/B test read back from its {@link ResponseLog}: per arm, how many requests, how long they
 * took and how much they wrote ({@link #table()}, {@link #chart()}), and which arm a judge prefers
 * on the prompts both arms answered ({@link #winRate}). Only completed responses count; those the
 * client cancelled are counted apart.
 */
public final class AbComparison {
    /** One logged response. */
    public record Response(String requestId, String model, String prompt, String text, int completionTokens,
            String finishReason, double latencyMs, Double firstTokenMs) {}

    private final List<Response> responses;
    private final List<String> arms;

    public AbComparison(List<Response> responses, List<String> arms) {
        this.responses = List.copyOf(responses);
        this.arms = List.copyOf(arms);
    }

    /** The responses logged in a run folder, arms in order of first appearance. */
    public static AbComparison fromRun(Path runDir) {
        return fromRows(RunRecord.read(runDir).history());
    }

    /** As {@link #fromRun}, from history rows (e.g. {@code run.history()} of a live run). */
    public static AbComparison fromRows(List<Map<String, Object>> rows) {
        List<Response> out = new ArrayList<>();
        List<String> arms = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            String model = (String) r.get("model");
            if (!arms.contains(model)) {
                arms.add(model);
            }
            Object ft = r.get("first_token_ms");
            out.add(new Response((String) r.get("request_id"), model, (String) r.get("prompt"), (String) r.get("text"),
                    ((Number) r.get("completion_tokens")).intValue(), (String) r.get("finish_reason"),
                    ((Number) r.get("latency_ms")).doubleValue(), ft == null ? null : ((Number) ft).doubleValue()));
        }
        return new AbComparison(out, arms);
    }

    public List<Response> responses() {
        return responses;
    }

    public List<String> arms() {
        return arms;
    }

    /**
     * One row per arm: requests, cancelled, mean completion tokens, mean/p50/p95 latency (ms) and
     * mean time to first token (ms), over the responses that were not cancelled.
     */
    public Table table() {
        StringColumn arm = StringColumn.create("model");
        IntColumn requests = IntColumn.create("requests");
        IntColumn cancelled = IntColumn.create("cancelled");
        DoubleColumn tokens = DoubleColumn.create("mean tokens");
        DoubleColumn mean = DoubleColumn.create("mean latency ms");
        DoubleColumn p50 = DoubleColumn.create("p50 latency ms");
        DoubleColumn p95 = DoubleColumn.create("p95 latency ms");
        DoubleColumn ttft = DoubleColumn.create("mean first token ms");
        for (String a : arms) {
            List<Response> done = completed(a);
            arm.append(a);
            requests.append(done.size());
            cancelled.append((int) responses.stream().filter(r -> r.model().equals(a) && r.finishReason().equals("cancelled")).count());
            tokens.append(done.stream().mapToInt(Response::completionTokens).average().orElse(Double.NaN));
            double[] lat = done.stream().mapToDouble(Response::latencyMs).sorted().toArray();
            mean.append(Arrays.stream(lat).average().orElse(Double.NaN));
            p50.append(percentile(lat, 50));
            p95.append(percentile(lat, 95));
            ttft.append(done.stream().filter(r -> r.firstTokenMs() != null).mapToDouble(Response::firstTokenMs).average().orElse(Double.NaN));
        }
        return Table.create("A/B: " + String.join(" vs ", arms), arm, requests, cancelled, tokens, mean, p50, p95, ttft);
    }

    /** Latency against completion length, one series per arm. */
    public XYChart chart() {
        List<Series> series = new ArrayList<>();
        for (String a : arms) {
            List<Response> done = completed(a);
            series.add(Series.of(a, done.stream().map(Response::completionTokens).toList(),
                    done.stream().map(Response::latencyMs).toList()));
        }
        return Charts.points("A/B test: latency against answer length", Axis.of("completion tokens", "tokens"),
                Axis.of("latency", "ms"), series);
    }

    /**
     * Win rate of arm {@code a} over arm {@code b} under {@code judge}, on every prompt both
     * answered (each arm's first completed answer to it), judged in both orders
     * ({@link WinRate#ofBothOrders}) to cancel a judge's position preference.
     */
    public WinRateResult winRate(String a, String b, WinRate.Judge judge) {
        Map<String, String> firstA = firstAnswers(a);
        Map<String, String> firstB = firstAnswers(b);
        List<String> prompts = new ArrayList<>();
        List<String> outA = new ArrayList<>();
        List<String> outB = new ArrayList<>();
        for (Map.Entry<String, String> e : firstA.entrySet()) {
            if (firstB.containsKey(e.getKey())) {
                prompts.add(e.getKey());
                outA.add(e.getValue());
                outB.add(firstB.get(e.getKey()));
            }
        }
        if (prompts.isEmpty()) {
            throw new IllegalStateException("no prompt was answered by both '" + a + "' and '" + b
                    + "'; send each prompt several times so the router gives it to both arms");
        }
        return WinRate.ofBothOrders(prompts, outA, outB, judge, WinRate.DEFAULT_RESAMPLES, WinRate.DEFAULT_CONFIDENCE, 0);
    }

    private Map<String, String> firstAnswers(String arm) {
        if (!arms.contains(arm)) {
            throw new IllegalArgumentException("no responses from '" + arm + "'; arms are " + arms);
        }
        Map<String, String> first = new LinkedHashMap<>();
        for (Response r : completed(arm)) {
            first.putIfAbsent(r.prompt(), r.text());
        }
        return first;
    }

    private List<Response> completed(String arm) {
        return responses.stream().filter(r -> r.model().equals(arm) && !r.finishReason().equals("cancelled")).toList();
    }

    /** Linear-interpolation percentile of sorted values, numpy's default; NaN for none. */
    static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        double pos = q / 100 * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
