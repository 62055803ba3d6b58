package dev.tunelab.eval;

import java.util.List;

/**
 * How often two judges give the same verdict on the same pairs, and Cohen's kappa (Cohen 1960):
 * (observed agreement - chance agreement) / (1 - chance agreement), chance agreement being
 * sum over verdicts of the product of the two judges' rates of giving it. 1 is full agreement, 0
 * what independent judges with these rates would reach (scikit-learn's {@code cohen_kappa_score}).
 */
public record JudgeAgreement(int pairs, double agreement, double kappa) {

    /** Judges every pair with both judges and compares. */
    public static JudgeAgreement of(List<String> prompts, List<String> outputsA, List<String> outputsB, WinRate.Judge first,
            WinRate.Judge second) {
        if (prompts.size() != outputsA.size() || prompts.size() != outputsB.size()) {
            throw new IllegalArgumentException("prompts, outputs A and outputs B must be parallel lists");
        }
        List<WinRate.Verdict> x = new java.util.ArrayList<>();
        List<WinRate.Verdict> y = new java.util.ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            x.add(first.judge(prompts.get(i), outputsA.get(i), outputsB.get(i)));
            y.add(second.judge(prompts.get(i), outputsA.get(i), outputsB.get(i)));
        }
        return ofVerdicts(x, y);
    }

    public static JudgeAgreement ofVerdicts(List<WinRate.Verdict> x, List<WinRate.Verdict> y) {
        if (x.size() != y.size() || x.isEmpty()) {
            throw new IllegalArgumentException("need two non-empty, equally long verdict lists; sizes " + x.size() + ", " + y.size());
        }
        int n = x.size();
        int same = 0;
        for (int i = 0; i < n; i++) {
            same += x.get(i) == y.get(i) ? 1 : 0;
        }
        double observed = same / (double) n;
        double chance = 0;
        for (WinRate.Verdict v : WinRate.Verdict.values()) {
            chance += x.stream().filter(v::equals).count() / (double) n * (y.stream().filter(v::equals).count() / (double) n);
        }
        // one verdict from both judges every time: kappa is 0/0, NaN as scikit-learn's cohen_kappa_score gives
        double kappa = chance == 1 ? Double.NaN : (observed - chance) / (1 - chance);
        return new JudgeAgreement(n, observed, kappa);
    }
}
