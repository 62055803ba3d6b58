package dev.tunelab.display;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    @Test void textShowsStepRateEtaAndMetrics() {
        AtomicLong now = new AtomicLong(0);
        var bar = new ProgressBar("train", 100, now::get);
        now.set(10_000_000_000L);
        bar.step(25, Map.of("loss", 2.123456789, "lr", 3e-5));
        assertEquals(2.5, bar.rate(), 1e-9);
        assertEquals(30.0, bar.etaSeconds(), 1e-9);
        String text = bar.mimeBundle().get(MimeBundles.TEXT);
        assertTrue(text.startsWith("train  25% [######.................."), text);
        assertTrue(text.contains("25/100 [00:10<00:30, 2.50 it/s] "), text);
        // metrics as Numbers writes them: four significant digits, small ones scientific
        assertTrue(text.contains(" loss=2.123") && !text.contains("2.1234"), text);
        assertTrue(text.contains(" lr=3e-05"), text);
        assertTrue(bar.mimeBundle().get(MimeBundles.HTML).contains("width:25%"));
    }

    @Test void updatesGoThroughTheSinkThrottledAndFinishAlwaysDraws() {
        List<String> events = new ArrayList<>();
        DisplaySink old = Display.sink();
        Display.setSink(new DisplaySink() {
            public String show(Object value) { events.add("show"); return "id-1"; }
            public void update(String id, Object value) { events.add("update " + id + " " + ((ProgressBar) value).currentStep()); }
        });
        try {
            var bar = ProgressBar.start("t", 1_000_000);
            for (int s = 1; s <= 1000; s++) bar.step(s);   // far faster than the redraw interval
            bar.finish();
            assertEquals("show", events.get(0));
            assertTrue(events.size() < 10, "throttled: " + events.size());
            assertEquals("update id-1 1000", events.get(events.size() - 1));
        } finally {
            Display.setSink(old);
        }
    }

    @Test void lastStepAlwaysDraws() {
        List<Long> steps = new ArrayList<>();
        DisplaySink old = Display.sink();
        Display.setSink(new DisplaySink() {
            public String show(Object value) { return "x"; }
            public void update(String id, Object value) { steps.add(((ProgressBar) value).currentStep()); }
        });
        try {
            var bar = ProgressBar.start("t", 3);
            bar.step(1);
            bar.step(2);
            bar.step(3);
            assertEquals(3L, steps.get(steps.size() - 1));
        } finally {
            Display.setSink(old);
        }
    }

    @Test void clockTime() {
        assertEquals("01:05", ProgressBar.clockTime(65));
        assertEquals("1:00:01", ProgressBar.clockTime(3601));
        assertEquals("?", ProgressBar.clockTime(Double.NaN));
    }

    @Test void rejectsEmptyTotal() {
        assertThrows(IllegalArgumentException.class, () -> new ProgressBar("x", 0, System::nanoTime));
    }
}
