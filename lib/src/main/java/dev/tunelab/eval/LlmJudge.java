package dev.tunelab.eval;

import dev.tunelab.LanguageModel;
import dev.tunelab.io.TokenizerException;
import dev.tunelab.model.Autograd;
import dev.tunelab.train.Batch;
import dev.tunelab.train.ChatTemplate;
import dev.tunelab.train.ChatTemplate.Message;
import dev.tunelab.train.Losses;
import dev.tunelab.train.ModelChatTemplate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A pairwise judge backed by a local model, in the manner of MT-Bench's pairwise judge (Zheng et
 * al. 2023, "Judging LLM-as-a-judge with MT-Bench and Chatbot Arena"): the model reads the user's
 * question and two answers and is asked for a verdict in the form {@code [[A]]}, {@code [[B]]} or
 * {@code [[C]]} (a tie). Instead of sampling the verdict and parsing it, the judge reads the
 * model's log-likelihood of each of the three verdict strings after the prompt and takes the
 * largest, so every call gives a verdict, deterministically, even from a model too small to
 * follow the format. By default each pair is judged in both orders and a side wins only when both
 * orders agree, which cancels a preference for a position (the paper's "swap positions").
 *
 * <p>It is a {@link WinRate.Judge}: {@code WinRate.of(prompts, tuned, base, LlmJudge.of(judgeModel))}.
 */
public final class LlmJudge implements WinRate.Judge {
    /** The instruction, written after MT-Bench's pairwise prompt: impartial, order- and length-blind, a bracketed verdict. */
    public static final String SYSTEM_PROMPT = "Please act as an impartial judge and evaluate the quality of the responses "
            + "provided by two AI assistants to the user question displayed below. Choose the assistant that follows the "
            + "user's instructions and answers the user's question better, considering helpfulness, relevance, accuracy, "
            + "depth and creativity. Do not let the order in which the responses were presented, their length or the "
            + "assistants' names influence your decision. Output your final verdict strictly in this format: \"[[A]]\" if "
            + "assistant A is better, \"[[B]]\" if assistant B is better, and \"[[C]]\" for a tie.";
    static final List<String> VERDICTS = List.of("[[A]]", "[[B]]", "[[C]]");

    /** The log-likelihood (nats) of each verdict string after the prompt, in one order of the answers. */
    public record Scores(double a, double b, double tie) {
        /** The verdict with the largest log-likelihood (ties between equal scores go to TIE). */
        public WinRate.Verdict verdict() {
            if (a > b && a > tie) {
                return WinRate.Verdict.A;
            }
            return b > a && b > tie ? WinRate.Verdict.B : WinRate.Verdict.TIE;
        }
    }

    private final LanguageModel lm;
    private final ModelChatTemplate chat; // null: the prompt is plain text
    private final boolean swap;

    private LlmJudge(LanguageModel lm, ModelChatTemplate chat, boolean swap) {
        this.lm = lm;
        this.chat = chat;
        this.swap = swap;
    }

    /**
     * A judge on {@code lm}: its chat template when it has one (system and user messages, the
     * verdict scored as the assistant's answer), plain text otherwise; both orders.
     */
    public static LlmJudge of(LanguageModel lm) {
        ModelChatTemplate chat;
        try {
            chat = ChatTemplate.forModel(lm.tokenizer());
        } catch (TokenizerException e) {
            chat = null;
        }
        return new LlmJudge(lm, chat, true);
    }

    /** Judges each pair in one order only (to measure the position bias that swapping removes). */
    public LlmJudge oneOrder() {
        return new LlmJudge(lm, chat, false);
    }

    /** Judges in plain text even when the model has a chat template. */
    public LlmJudge plainText() {
        return new LlmJudge(lm, null, swap);
    }

    @Override
    public WinRate.Verdict judge(String prompt, String outputA, String outputB) {
        WinRate.Verdict first = scores(prompt, outputA, outputB).verdict();
        if (!swap) {
            return first;
        }
        WinRate.Verdict second = scores(prompt, outputB, outputA).verdict();
        return combine(first, second);
    }

    /**
     * The verdict of both orders: A only when the first order says A and the swapped one says B
     * (the same answer in the other position), B likewise, a tie otherwise (MT-Bench counts an
     * inconsistent pair as a tie).
     */
    static WinRate.Verdict combine(WinRate.Verdict first, WinRate.Verdict swapped) {
        if (first == WinRate.Verdict.A && swapped == WinRate.Verdict.B) {
            return WinRate.Verdict.A;
        }
        return first == WinRate.Verdict.B && swapped == WinRate.Verdict.A ? WinRate.Verdict.B : WinRate.Verdict.TIE;
    }

    /** The three verdicts' log-likelihoods with {@code outputA} shown first. */
    public Scores scores(String prompt, String outputA, String outputB) {
        long[] context = promptIds(prompt, outputA, outputB);
        int max = lm.model().config().maxPositionEmbeddings();
        List<long[]> ids = new ArrayList<>();
        List<long[]> labels = new ArrayList<>();
        for (String v : VERDICTS) {
            long[] verdict = lm.tokenizer().encode(v, false);
            long[] all = Arrays.copyOf(context, context.length + verdict.length);
            System.arraycopy(verdict, 0, all, context.length, verdict.length);
            if (all.length > max) {
                throw new IllegalArgumentException("the judge's prompt is " + all.length + " tokens with its verdict, more than the judge model's "
                        + "max_position_embeddings " + max + "; shorten the answers or use a model with a longer context");
            }
            long[] label = all.clone();
            Arrays.fill(label, 0, context.length, Losses.IGNORE_INDEX);
            ids.add(all);
            labels.add(label);
        }
        double[][] nll = Autograd.noGrad(() -> Losses.rowNll(lm.model(), Batch.rightPadded(ids, labels, 0)));
        return new Scores(-nll[0][0], -nll[0][1], -nll[0][2]);
    }

    /** The judge's prompt as token ids, ending where the verdict begins. */
    public long[] promptIds(String prompt, String outputA, String outputB) {
        String user = "[User Question]\n" + prompt + "\n\n[The Start of Assistant A's Answer]\n" + outputA
                + "\n[The End of Assistant A's Answer]\n\n[The Start of Assistant B's Answer]\n" + outputB
                + "\n[The End of Assistant B's Answer]";
        if (chat != null) {
            return chat.promptIds(List.of(Message.system(SYSTEM_PROMPT), Message.user(user)), lm.tokenizer());
        }
        return lm.tokenizer().encode(SYSTEM_PROMPT + "\n\n" + user + "\n\nVerdict: ");
    }

    @Override
    public String toString() {
        return "LlmJudge(" + lm + (chat != null ? ", chat template" : ", plain text") + (swap ? ", both orders)" : ", one order)");
    }
}
