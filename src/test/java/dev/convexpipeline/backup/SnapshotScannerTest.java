package dev.convexpipeline.backup;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SnapshotScannerTest {

    private static SnapshotScanner.Result scan(byte[] zip, boolean strict) throws Exception {
        return SnapshotScanner.scan(new ByteArrayInputStream(zip), null, strict);
    }

    @Test
    void copiesEveryByteToTheSinkAndHashesThem() throws Exception {
        byte[] zip = TestSnapshots.zip(TestSnapshots.threeTables());
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        SnapshotScanner.Result result = SnapshotScanner.scan(new ByteArrayInputStream(zip), sink, false);
        assertThat(sink.toByteArray()).isEqualTo(zip);
        assertThat(result.sha256()).isEqualTo(TestSnapshots.sha256(zip));
        assertThat(result.bytes()).isEqualTo(zip.length);
        assertThat(result.entries()).isEqualTo(8);
        assertThat(result.userDocuments()).isEqualTo(5);
        assertThat(result.problems()).isEmpty();
    }

    @Test
    void newlineSearchFindsWhatAByteLoopFinds() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(5);
        for (int round = 0; round < 2_000; round++) {
            byte[] bytes = new byte[random.nextInt(1, 80)];
            for (int i = 0; i < bytes.length; i++) {
                // Mostly bytes next to '\n' in value (0x09, 0x0B, 0x8A, 0xFF…), some newlines, often adjacent.
                int pick = random.nextInt(8);
                bytes[i] = (byte) (pick == 0 ? '\n' : pick == 1 ? 0x0B : pick == 2 ? 0x09 : pick == 3 ? 0x8A
                        : pick == 4 ? 0xFF : pick == 5 ? 0x00 : random.nextInt(256));
            }
            int from = random.nextInt(bytes.length);
            int end = from + random.nextInt(bytes.length - from + 1);
            int expected = end;
            for (int i = from; i < end; i++) {
                if (bytes[i] == '\n') {
                    expected = i;
                    break;
                }
            }
            assertThat(SnapshotScanner.nextNewline(bytes, from, end)).as("round %d", round).isEqualTo(expected);
        }
    }

    @Test
    void tableDigestIgnoresLineOrderButCountsDuplicates() throws Exception {
        List<String> lines = TestSnapshots.threeTables().get("messages");
        List<String> reversed = Arrays.asList(lines.get(2), lines.get(1), lines.get(0));
        String digest = scan(TestSnapshots.zip(Map.of("t", lines)), false).tables().get("t").digest();
        assertThat(scan(TestSnapshots.zip(Map.of("t", reversed)), false).tables().get("t").digest()).isEqualTo(digest);

        List<String> twice = List.of(lines.get(0), lines.get(0));
        SnapshotScanner.TableStats duplicated = scan(TestSnapshots.zip(Map.of("t", twice)), false).tables().get("t");
        assertThat(duplicated.digest()).isNotEqualTo("0".repeat(64)).isEqualTo(TestSnapshots.expectedDigest(twice));
        assertThat(duplicated.documents()).isEqualTo(2);
    }

    @Test
    void largeSnapshotsStreamThroughWithTheSameResultAsSmallReads() throws Exception {
        Map<String, List<String>> tables = new LinkedHashMap<>();
        List<String> many = new java.util.ArrayList<>();
        for (int i = 0; i < 50_000; i++) {
            many.add("{\"_id\":\"id" + i + "\",\"n\":" + i + ",\"text\":\"" + "x".repeat(i % 300) + "\"}");
        }
        tables.put("many", many);
        byte[] zip = TestSnapshots.zip(tables);
        SnapshotScanner.Result result = scan(zip, true);
        assertThat(result.problems()).isEmpty();
        assertThat(result.tables().get("many")).isEqualTo(
                new SnapshotScanner.TableStats(50_000, TestSnapshots.expectedDigest(many)));
    }

    @Test
    void truncatedZipFailsABackupAndIsReportedByVerify() throws Exception {
        byte[] zip = TestSnapshots.zip(TestSnapshots.threeTables());
        byte[] truncated = Arrays.copyOf(zip, zip.length - 40);
        assertThatThrownBy(() -> scan(truncated, false)).isInstanceOf(SnapshotFormatException.class)
                .hasMessageContaining("ZIP");
        SnapshotScanner.Result verified = scan(truncated, true);
        assertThat(verified.problems()).isNotEmpty();
        assertThat(verified.bytes()).isEqualTo(truncated.length);
        assertThat(verified.sha256()).isEqualTo(TestSnapshots.sha256(truncated));
    }

    @Test
    void verifyReportsTheFirstLineThatIsNotJson() throws Exception {
        byte[] zip = TestSnapshots.zip(Map.of("t", List.of("{\"_id\":\"a\"}", "{\"_id\":", "{\"_id\":\"c\"}")));
        assertThat(scan(zip, false).tables().get("t").documents()).isEqualTo(3);
        assertThat(scan(zip, true).problems()).singleElement().asString()
                .startsWith("t/documents.jsonl line 2 is not valid JSON");
    }

    @Test
    void emptyInputIsNotAZip() {
        assertThatThrownBy(() -> scan(new byte[0], false)).isInstanceOf(SnapshotFormatException.class)
                .hasMessageContaining("end-of-central-directory");
    }
}
