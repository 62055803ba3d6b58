package dev.tunelab.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.LanguageModel;
import dev.tunelab.Models;
import dev.tunelab.eval.JudgeAgreement;
import dev.tunelab.eval.LlmJudge;
import dev.tunelab.eval.SentimentJudge;
import dev.tunelab.eval.WinRate;
import dev.tunelab.eval.WinRate.Verdict;
import dev.tunelab.generate.GenerationConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How far the local-model judge ({@link LlmJudge} on tinystories-base) agrees with the programmatic
 * judges: the sentiment judge (the happier story wins) and a length judge (the longer one wins),
 * on continuations of the held-out story openings by tinystories-base (A) and tinystories-mini (B).
 * Also the judge's position bias: how often judging one order only picks the first answer.
 *
 * <pre>java ... dev.tunelab.bench.JudgeAgreementBench [--pairs 64] [--tokens 60]</pre> (from the repository root)
 */
public final class JudgeAgreementBench {
    private JudgeAgreementBench() {}

    public static void main(String[] args) throws Exception {
        int pairs = 64;
        int tokens = 60;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--pairs" -> pairs = Integer.parseInt(args[++i]);
                case "--tokens" -> tokens = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        ObjectMapper json = new ObjectMapper();
        List<String> prompts = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("datasets/tasks/story-openings-test.jsonl"))) {
            if (prompts.size() < pairs) {
                prompts.add(json.readTree(line).get("prompt").asText());
            }
        }
        GenerationConfig cfg = GenerationConfig.sample(0.8).topP(0.95).seed(1).maxNewTokens(tokens);
        List<String> a;
        List<String> b;
        try (LanguageModel base = Models.load("datasets/models/tinystories-base");
                LanguageModel mini = Models.load("datasets/models/tinystories-mini")) {
            a = base.generate(prompts, cfg).stream().map(g -> g.text()).toList();
            b = mini.generate(prompts, cfg).stream().map(g -> g.text()).toList();
            SentimentJudge sentiment = SentimentJudge.stories();
            WinRate.Judge happier = (p, x, y) -> compare(sentiment.score(x), sentiment.score(y));
            WinRate.Judge longer = (p, x, y) -> compare(x.length(), y.length());
            System.out.println("| judge (tinystories-base) | vs sentiment: agreement / kappa | vs length: agreement / kappa | picks A, B, tie | first position picked (one order) |");
            System.out.println("| --- | --- | --- | --- | --- |");
            List<LlmJudge> judges = List.of(LlmJudge.of(base), LlmJudge.of(base).plainText());
            for (int j = 0; j < judges.size(); j++) {
                LlmJudge judge = judges.get(j);
                List<Verdict> verdicts = new ArrayList<>();
                int firstPicked = 0;
                int decided = 0;
                LlmJudge one = judge.oneOrder();
                for (int i = 0; i < prompts.size(); i++) {
                    verdicts.add(judge.judge(prompts.get(i), a.get(i), b.get(i)));
                    for (Verdict v : List.of(one.judge(prompts.get(i), a.get(i), b.get(i)), one.judge(prompts.get(i), b.get(i), a.get(i)))) {
                        firstPicked += v == Verdict.A ? 1 : 0;
                        decided += v != Verdict.TIE ? 1 : 0;
                    }
                }
                JudgeAgreement s = JudgeAgreement.ofVerdicts(verdicts, verdicts(prompts, a, b, happier));
                JudgeAgreement l = JudgeAgreement.ofVerdicts(verdicts, verdicts(prompts, a, b, longer));
                System.out.printf("| %s | %.2f / %.2f | %.2f / %.2f | %d, %d, %d | %d of %d decided |%n",
                        j == 0 ? "chat template" : "plain text", s.agreement(), s.kappa(),
                        l.agreement(), l.kappa(), count(verdicts, Verdict.A), count(verdicts, Verdict.B), count(verdicts, Verdict.TIE),
                        firstPicked, decided);
            }
        }
    }

    static List<Verdict> verdicts(List<String> prompts, List<String> a, List<String> b, WinRate.Judge judge) {
        List<Verdict> out = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            out.add(judge.judge(prompts.get(i), a.get(i), b.get(i)));
        }
        return out;
    }

    static Verdict compare(double x, double y) {
        return x == y ? Verdict.TIE : x > y ? Verdict.A : Verdict.B;
    }

    static int count(List<Verdict> vs, Verdict v) {
        return (int) vs.stream().filter(v::equals).count();
    }
}
