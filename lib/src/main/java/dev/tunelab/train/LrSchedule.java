package dev.tunelab.train;

/**
 * Learning rate per optimizer step: linear warmup from 0 to the peak over {@code warmup} steps,
 * then constant, linear decay, or cosine decay (Loshchilov & Hutter 2017) to {@code minRatio} x peak.
 */
public record LrSchedule(Kind kind, double peak, int warmup, int total, double minRatio) {
    public enum Kind { CONSTANT, LINEAR, COSINE }

    public double at(int step) {
        if (warmup > 0 && step < warmup) {
            return peak * (step + 1) / warmup;
        }
        if (kind == Kind.CONSTANT || total <= warmup) {
            return peak;
        }
        double progress = Math.min(1.0, (double) (step - warmup) / Math.max(1, total - warmup));
        double decay = switch (kind) {
            case LINEAR -> 1 - progress;
            case COSINE -> 0.5 * (1 + Math.cos(Math.PI * progress));
            case CONSTANT -> 1;
        };
        return peak * (minRatio + (1 - minRatio) * decay);
    }
}
