import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

public class Config {
    private final Properties values = new Properties();

    public static Config load(Path file) throws IOException {
        Config config = new Config();
        try (var reader = Files.newBufferedReader(file)) {
            config.values.load(reader);
        }
        return config;
    }

    public int getInt(String key, int fallback) {
        String raw = values.getProperty(key);
        if (raw == null) {
            return fallback;
        }
        return Integer.parseInt(raw.trim());
    }
}
