package dev.convexpipeline.backup;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A byte-level HTTP/1.1 relay in front of S3Proxy that records each request's method, path and
 * headers — what the server actually receives — and can fail chosen requests. A relay rather than
 * a re-issuing proxy because SigV4 signs the Host header and payload, so requests must reach S3
 * unchanged. Requests from the AWS SDK always carry Content-Length, so bodies are relayed by length.
 */
final class RecordingS3Proxy implements AutoCloseable {
    /** One request as received. */
    record Request(String method, String target, Map<String, String> headers) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        boolean isUploadPart() {
            return method.equals("PUT") && target.contains("partNumber=");
        }
    }

    /** FORBIDDEN answers 403; DROP closes the connection and takes the store down; RESET only closes the connection. */
    enum Fault { NONE, FORBIDDEN, DROP, RESET }

    private final URI upstream;
    private final ServerSocket server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile Predicate<Request> faultWhen = r -> false;
    private volatile Fault fault = Fault.NONE;
    private volatile boolean down;

    RecordingS3Proxy(URI upstream) throws IOException {
        this.upstream = upstream;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "s3-relay-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Fail every request matching {@code when} with {@code fault}; once one failed with DROP, the store stays down. */
    void failWhen(Predicate<Request> when, Fault fault) {
        this.faultWhen = when;
        this.fault = fault;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                sockets.add(client);
                Thread thread = new Thread(() -> serve(client), "s3-relay");
                thread.setDaemon(true);
                thread.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client; Socket upstreamSocket = new Socket(upstream.getHost(), upstream.getPort())) {
            sockets.add(upstreamSocket);
            InputStream fromClient = client.getInputStream();
            OutputStream toUpstream = upstreamSocket.getOutputStream();
            Thread responses = new Thread(() -> pump(upstreamSocket, client), "s3-relay-responses");
            responses.setDaemon(true);
            responses.start();
            while (true) {
                byte[] head = readHead(fromClient);
                if (head == null) {
                    return;
                }
                Request request = parse(head);
                requests.add(request);
                if (down || faultWhen.test(request)) {
                    if (fault == Fault.DROP) {
                        down = true;
                        return;
                    }
                    if (fault == Fault.RESET) {
                        return;
                    }
                    if (fault == Fault.FORBIDDEN) {
                        byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code>"
                                + "<Message>Access Denied (injected)</Message></Error>").getBytes(StandardCharsets.UTF_8);
                        OutputStream out = client.getOutputStream();
                        synchronized (client) {
                            out.write(("HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: "
                                    + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                            out.write(body);
                            out.flush();
                        }
                        return;
                    }
                }
                toUpstream.write(head);
                long length = Long.parseLong(request.headers().getOrDefault("content-length", "0"));
                byte[] buffer = new byte[64 * 1024];
                while (length > 0) {
                    int n = fromClient.read(buffer, 0, (int) Math.min(buffer.length, length));
                    if (n < 0) {
                        return;
                    }
                    toUpstream.write(buffer, 0, n);
                    length -= n;
                }
                toUpstream.flush();
            }
        } catch (IOException e) {
            // connection closed by either side
        }
    }

    private static void pump(Socket from, Socket to) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                synchronized (to) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            }
        } catch (IOException e) {
            // closed
        } finally {
            try {
                to.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int window = 0;
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            window = (window << 8) | b;
            if (window == 0x0D0A0D0A) {
                return head.toByteArray();
            }
        }
        return null;
    }

    private static Request parse(byte[] head) {
        String[] lines = new String(head, StandardCharsets.ISO_8859_1).split("\r\n");
        String[] requestLine = lines[0].split(" ");
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
        }
        return new Request(requestLine[0], requestLine.length > 1 ? requestLine[1] : "", headers);
    }

    @Override
    public void close() throws IOException {
        server.close();
        List<Socket> open = new ArrayList<>(sockets);
        for (Socket socket : open) {
            socket.close();
        }
    }
}
