import java.util.HashMap;
import java.util.Map;

public final class Fibonacci {
    private static final Map<Integer, Long> MEMO = new HashMap<>();

    private Fibonacci() {
    }

    public static long of(int n) {
        if (n < 2) {
            return n;
        }
        Long known = MEMO.get(n);
        if (known != null) {
            return known;
        }

        long value = of(n - 1) + of(n - 2);
        MEMO.put(n, value);
        return value;
    }
}
