package dev.convexpipeline.convex;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConvexValuesTest {

    @Test
    void encodedIntegerIsLittleEndianBase64() {
        JsonNode encoded = ConvexValues.toEncoded(ConvexValues.int64(1));
        assertThat(ConvexValues.write(encoded)).isEqualTo("{\"$integer\":\"AQAAAAAAAAA=\"}");
        assertThat(ConvexValues.fromEncoded(encoded).isIntegralNumber()).isTrue();
        assertThat(ConvexValues.fromEncoded(encoded).longValue()).isEqualTo(1L);
    }

    @Test
    void plainNumberInEncodedJsonIsFloat64() {
        JsonNode value = ConvexValues.fromEncoded(ConvexValues.parse("{\"n\":5}"));
        assertThat(value.get("n").isFloatingPointNumber()).isTrue();
    }

    @Test
    void exportJsonKeepsIntegersAndFloatsApartAndSortsKeys() {
        JsonNode doc = ConvexValues.fromExportJson(ConvexValues.parse(
                "{\"ratio\":3.0,\"count\":3,\"blob\":{\"$bytes\":\"AAE=\"},\"_id\":\"x\",\"_creationTime\":1700000000000.123}"));
        assertThat(ConvexValues.write(ConvexValues.toExportJson(doc))).isEqualTo(
                "{\"_creationTime\":1700000000000.123,\"_id\":\"x\",\"blob\":{\"$bytes\":\"AAE=\"},\"count\":3,\"ratio\":3.0}");
    }

    @Test
    void nonFiniteFloatsUseFloatEncoding() {
        JsonNode nan = ConvexValues.toExportJson(ConvexValues.float64(Double.NaN));
        assertThat(nan.has("$float")).isTrue();
        assertThat(Double.isNaN(ConvexValues.fromExportJson(nan).doubleValue())).isTrue();
        assertThat(ConvexValues.write(ConvexValues.toCleanJson(ConvexValues.float64(Double.NEGATIVE_INFINITY))))
                .isEqualTo("\"-Infinity\"");
    }

    @Test
    void doublesFormatLikeSerdeJson() {
        assertThat(ConvexValues.formatDouble(5)).isEqualTo("5.0");
        assertThat(ConvexValues.formatDouble(-0.0)).isEqualTo("-0.0");
        assertThat(ConvexValues.formatDouble(1700000000000.123)).isEqualTo("1700000000000.123");
        assertThat(ConvexValues.formatDouble(0.001)).isEqualTo("0.001");
        assertThat(ConvexValues.formatDouble(1e20)).isEqualTo("1e20");
        assertThat(ConvexValues.formatDouble(1.5e-7)).isEqualTo("1.5e-7");
        assertThat(ConvexValues.formatDouble(123456.75)).isEqualTo("123456.75");
    }

    @Test
    void cleanJsonTurnsInt64IntoDecimalString() {
        assertThat(ConvexValues.write(ConvexValues.toCleanJson(ConvexValues.int64(5)))).isEqualTo("\"5\"");
    }

    @Test
    void dollarFieldNamesAreRejected() {
        assertThatThrownBy(() -> ConvexValues.fromEncoded(ConvexValues.parse("{\"$x\":1,\"y\":2}")))
                .isInstanceOf(ConvexValues.InvalidValueException.class);
    }
}
