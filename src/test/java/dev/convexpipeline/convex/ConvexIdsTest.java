package dev.convexpipeline.convex;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConvexIdsTest {

    @Test
    void userTableIdsAre32CharactersAndRoundTrip() {
        String id = ConvexIds.generate(10001);
        assertThat(id).hasSize(32).matches("[0-9a-hjkmnp-tv-z]+");
        ConvexIds.DocumentId decoded = ConvexIds.decode(id);
        assertThat(decoded.tableNumber()).isEqualTo(10001);
        assertThat(decoded.encode()).isEqualTo(id);
    }

    @Test
    void smallTableNumbersGive31Characters() {
        assertThat(ConvexIds.generate(5)).hasSize(31);
    }

    @Test
    void corruptedCharacterFailsTheChecksum() {
        String id = ConvexIds.generate(10001);
        char replacement = id.charAt(10) == 'a' ? 'b' : 'a';
        String corrupted = id.substring(0, 10) + replacement + id.substring(11);
        assertThat(ConvexIds.isValid(corrupted)).isFalse();
        assertThatThrownBy(() -> ConvexIds.decode("not-an-id")).isInstanceOf(ConvexIds.InvalidIdException.class);
    }

    @Test
    void fletcherIsModulo256() {
        // c0 = 0xff + 0x02 wraps to 0x01; c1 = 0xff + 0x01 wraps to 0x00.
        assertThat(ConvexIds.fletcher16(new byte[] {(byte) 0xff, 0x02})).isEqualTo(0x0001);
    }
}
