import java.util.Scanner;

public class Greeter {
    private static final String DEFAULT_NAME = "world";

    public static void main(String[] args) {
        Scanner scanner = new Scanner(System.in);
        System.out.print("Your name: ");
        String name = scanner.nextLine().trim();

        if (name.isEmpty()) {
            name = DEFAULT_NAME;
        }

        for (int i = 0; i < 3; i++) {
            System.out.println("Hello, " + name + "! (" + (i + 1) + ")");
        }
        scanner.close();
    }
}
