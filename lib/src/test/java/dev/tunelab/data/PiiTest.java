package dev.tunelab.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class PiiTest {

    private static List<Pii.Kind> kinds(String text) {
        return Pii.find(text).stream().map(Pii.Hit::kind).toList();
    }

    @Test
    void luhnAcceptsTheStandardsTestNumbersOnly() {
        assertTrue(Pii.luhn("79927398713")); // the worked example of ISO/IEC 7812-1 Annex B (as on Wikipedia's "Luhn algorithm")
        assertFalse(Pii.luhn("79927398710"));
        assertTrue(Pii.luhn("4111111111111111")); // Visa's test number
        assertFalse(Pii.luhn("4111111111111112"));
    }

    @Test
    void findsEachKind() {
        assertEquals(List.of(Pii.Kind.EMAIL_ADDRESS), kinds("Write to jane.doe+news@mail.example.co.uk today."));
        assertEquals(List.of(), kinds("user@localhost and @handle and a@b")); // no dot in the domain
        assertEquals(List.of(Pii.Kind.PHONE_NUMBER, Pii.Kind.PHONE_NUMBER, Pii.Kind.PHONE_NUMBER),
                kinds("Call (555) 123-4567, 555.123.4567 or +44 20 7946 0958."));
        assertEquals(List.of(Pii.Kind.CREDIT_CARD), kinds("card 4111 1111 1111 1111 exp 12/29"));
        assertEquals(List.of(), kinds("order 4111 1111 1111 1112")); // fails Luhn
        assertEquals(List.of(Pii.Kind.IP_ADDRESS), kinds("ssh to 192.168.0.1 now"));
        assertEquals(List.of(), kinds("version 1.2.3.4.5, 256.1.1.1, 01.2.3.4, and the year 2023 with 12 apples"));
    }

    @Test
    void masksWithPresidioPlaceholders() {
        assertEquals("Mail <EMAIL_ADDRESS> from <IP_ADDRESS>, call <PHONE_NUMBER>.",
                Pii.mask("Mail bob@example.com from 10.0.0.7, call 555-123-4567."));
        assertEquals("no personal data", Pii.mask("no personal data"));
    }
}
