public class BankAccount {
    private final String owner;
    private long balanceCents;

    public BankAccount(String owner, long openingCents) {
        this.owner = owner;
        this.balanceCents = openingCents;
    }

    public void deposit(long cents) {
        if (cents <= 0) {
            throw new IllegalArgumentException("deposit must be positive");
        }
        balanceCents += cents;
    }

    public boolean withdraw(long cents) {
        if (cents > balanceCents) {
            return false;
        }
        balanceCents -= cents;
        return true;
    }

    @Override
    public String toString() {
        return owner + ": " + balanceCents / 100 + "." + balanceCents % 100;
    }
}
