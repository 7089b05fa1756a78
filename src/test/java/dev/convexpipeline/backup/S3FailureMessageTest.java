package dev.convexpipeline.backup;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;

/** An S3 refusal names its status and S3's error code and message, and what to check for that status. */
class S3FailureMessageTest {

    @Test
    void a400GivesItsErrorCodeAndWhatToCheck() {
        try (S3Target target = new S3Target(BackupToS3Test.settings(URI.create("http://127.0.0.1:1"), "backups", null, null),
                "team")) {
            S3Exception refused = (S3Exception) S3Exception.builder().statusCode(400).awsErrorDetails(AwsErrorDetails.builder()
                    .errorCode("InvalidArgument").errorMessage("x-amz-server-side-encryption header is not supported").build())
                    .build();
            assertThat(target.failure("PutObject", "i/snapshot.zip", refused).getMessage())
                    .startsWith("S3 PutObject to s3://backups/team/i/snapshot.zip returned 400 InvalidArgument"
                            + " (x-amz-server-side-encryption header is not supported)")
                    .contains("S3 refused the request as invalid").contains("S3_SSE");

            S3Exception noBody = (S3Exception) S3Exception.builder().statusCode(400)
                    .awsErrorDetails(AwsErrorDetails.builder().build()).build();
            assertThat(target.failure("HeadObject", "i/snapshot.zip", noBody).getMessage())
                    .contains("returned 400 (no error code in the answer)").doesNotContain("null");
        }
    }
}
