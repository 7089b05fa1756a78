package dev.convexpipeline.convex.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexValues;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a snapshot ZIP of synthetic documents that look like pipeline data (~500 bytes of JSON each,
 * strings, int64, float64, booleans, bytes, a nested object and an array), streaming one line at
 * a time so generating a million documents costs no more memory than generating ten.
 */
public final class BenchmarkDocuments {
    public static final String TABLE = "bench_customers";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String[] CITIES = {"Lisbon", "Oslo", "Montreal", "Osaka", "Nairobi", "Lima", "Tallinn"};
    private static final String[] TIERS = {"free", "pro", "team", "enterprise"};
    private static final String[] STATUSES = {"active", "trialing", "past_due", "canceled"};

    private BenchmarkDocuments() {
    }

    /** Sizes of a generated snapshot: the ZIP file and the JSON lines inside it. */
    public record Written(long zipBytes, long jsonBytes) {
    }

    /** Writes {@code count} documents as a Convex snapshot ZIP. */
    public static Written writeZip(Path file, long count) throws IOException {
        long jsonBytes = 0;
        try (OutputStream raw = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
             ZipOutputStream zip = new ZipOutputStream(raw)) {
            zip.setLevel(1);
            zip.putNextEntry(new ZipEntry(TABLE + "/documents.jsonl"));
            SplittableRandom random = new SplittableRandom(42);
            for (long i = 0; i < count; i++) {
                byte[] line = ConvexValues.write(ConvexValues.toExportJson(document(i, random))).getBytes(StandardCharsets.UTF_8);
                zip.write(line);
                zip.write('\n');
                jsonBytes += line.length + 1;
            }
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry(TABLE + "/generated_schema.jsonl"));
            zip.write("\"uniform\"\n".getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
        }
        return new Written(Files.size(file), jsonBytes);
    }

    static ObjectNode document(long i, SplittableRandom random) {
        ObjectNode doc = NODES.objectNode();
        doc.put("authSubject", "auth0|" + Long.toHexString(random.nextLong()));
        doc.put("email", "customer" + i + "@example.org");
        doc.put("stripeCustomerId", "cus_" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36));
        doc.put("tier", TIERS[random.nextInt(TIERS.length)]);
        doc.put("status", STATUSES[random.nextInt(STATUSES.length)]);
        doc.set("lastEventCreated", ConvexValues.int64(1_700_000_000L + random.nextInt(50_000_000)));
        doc.set("seats", ConvexValues.int64(random.nextInt(500)));
        doc.set("currentPeriodEnd", ConvexValues.float64(1.7e12 + random.nextInt(1_000_000_000)));
        doc.set("balance", ConvexValues.float64(random.nextInt(100_000) / 100.0));
        doc.put("cancelAtPeriodEnd", random.nextBoolean());
        byte[] key = new byte[32];
        random.nextBytes(key);
        doc.set("publicKey", ConvexValues.bytes(key));
        ObjectNode address = doc.putObject("address");
        address.put("line1", (random.nextInt(900) + 100) + " Harbour Street");
        address.put("city", CITIES[random.nextInt(CITIES.length)]);
        address.put("postalCode", String.format("%05d", random.nextInt(100_000)));
        doc.putArray("tags").add("cohort-" + random.nextInt(20)).add(random.nextBoolean() ? "newsletter" : "no-mail");
        doc.put("note", "Synthetic customer row " + i + " (snapshot benchmark)");
        return doc;
    }
}
