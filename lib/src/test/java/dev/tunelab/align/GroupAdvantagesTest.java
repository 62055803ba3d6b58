package dev.tunelab.align;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class GroupAdvantagesTest {
    @Test
    void eachGroupIsStandardisedOnItsOwn() {
        // Two groups of 5. Group 1 (1, 2, 3, 5, 5): mean 3.2; group 2 (5, 0, 0, 0, 4): mean 1.8. Sample std (n - 1).
        double[] rewards = {1, 2, 3, 5, 5, 5, 0, 0, 0, 4};
        double[] a = GroupAdvantages.compute(rewards, 5);
        double mean1 = 3.2;
        double var1 = (Math.pow(1 - 3.2, 2) + Math.pow(2 - 3.2, 2) + Math.pow(3 - 3.2, 2) + 2 * Math.pow(5 - 3.2, 2)) / 4;
        double std2 = Math.sqrt((3.2 * 3.2 + 3 * 1.8 * 1.8 + 2.2 * 2.2) / 4);
        assertArrayEquals(new double[] {
                (1 - mean1) / (Math.sqrt(var1) + 1e-4), (2 - mean1) / (Math.sqrt(var1) + 1e-4),
                (3 - mean1) / (Math.sqrt(var1) + 1e-4), (5 - mean1) / (Math.sqrt(var1) + 1e-4),
                (5 - mean1) / (Math.sqrt(var1) + 1e-4)}, java.util.Arrays.copyOf(a, 5), 1e-12);
        assertArrayEquals(new double[] {3.2 / (std2 + 1e-4), -1.8 / (std2 + 1e-4), -1.8 / (std2 + 1e-4),
                -1.8 / (std2 + 1e-4), 2.2 / (std2 + 1e-4)}, java.util.Arrays.copyOfRange(a, 5, 10), 1e-12);
    }

    @Test
    void equalRewardsGiveNoAdvantage() {
        // group (1, 2, 3): mean 2, sample std 1; group (5, 5, 5): std 0 -> advantage 0, not a division by zero
        assertArrayEquals(new double[] {-1 / (1 + 1e-4), 0, 1 / (1 + 1e-4), 0, 0, 0},
                GroupAdvantages.compute(new double[] {1, 2, 3, 5, 5, 5}, 3), 1e-12);
    }

    @Test
    void rewardsMustSplitIntoGroups() {
        assertThrows(IllegalArgumentException.class, () -> GroupAdvantages.compute(new double[] {1, 2, 3}, 2));
        assertThrows(IllegalArgumentException.class, () -> GroupAdvantages.compute(new double[] {1, 2}, 1));
    }

    @Test
    void leaveOneOutSubtractsTheMeanOfTheOtherCompletions() {
        // group (1, 2, 3, 5): 1 - (2 + 3 + 5) / 3, 2 - (1 + 3 + 5) / 3, ...; group (4, 0, 0, 8) likewise
        double[] a = GroupAdvantages.leaveOneOut(new double[] {1, 2, 3, 5, 4, 0, 0, 8}, 4);
        assertArrayEquals(new double[] {1 - 10 / 3.0, 2 - 9 / 3.0, 3 - 8 / 3.0, 5 - 6 / 3.0,
                4 - 8 / 3.0, 0 - 12 / 3.0, 0 - 12 / 3.0, 8 - 4 / 3.0}, a, 1e-12);
        // k = 2: each completion against the other one
        assertArrayEquals(new double[] {-2, 2, 0.5, -0.5}, GroupAdvantages.leaveOneOut(new double[] {1, 3, 7, 6.5}, 2), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> GroupAdvantages.leaveOneOut(new double[] {1, 2, 3}, 2));
        assertThrows(IllegalArgumentException.class, () -> GroupAdvantages.leaveOneOut(new double[] {1, 2}, 1));
    }
}
