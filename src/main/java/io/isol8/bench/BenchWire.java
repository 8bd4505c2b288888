package io.isol8.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;

/** What the load generator sends and how it reads a stream's end (api.md §5, §8). */
final class BenchWire {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BenchWire() {
    }


    /** The envelope {@code {"request":{"runtime":…,"code":…},"sessionId":…}}. */
    static byte[] body(String runtime, String code, String session) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode request = root.putObject("request");
        request.put("runtime", runtime);
        request.put("code", code);
        if (session != null) {
            root.put("sessionId", session);
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Checks an SSE body (api.md §8): null when it ends with {@code exit "0"} in the code phase and has no
     * {@code error} frame; otherwise the failure bucket ({@code exit N}, {@code stream error},
     * {@code no exit}).
     */
    static String streamEnd(String body) {
        String exit = null;
        boolean error = false;
        for (String frame : body.split("\n\n")) {
            if (!frame.startsWith("data: ")) {
                continue;
            }
            JsonNode event;
            try {
                event = JSON.readTree(frame.substring(6));
            } catch (IOException e) {
                return "bad frame";
            }
            String type = event.path("type").asText();
            if (type.equals("error")) {
                error = true;
            } else if (type.equals("exit") && "code".equals(event.path("phase").asText())) {
                exit = event.path("data").asText();
            }
        }
        if (exit == null) {
            return error ? "stream error" : "no exit";
        }
        if (!exit.equals("0")) {
            return "exit " + exit;
        }
        return error ? "stream error" : null;
    }
}
