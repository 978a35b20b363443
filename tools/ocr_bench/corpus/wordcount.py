import sys
from collections import Counter


def words(stream):
    for line in stream:
        for word in line.split():
            word = word.strip(".,;:!?\"'()").lower()
            if word:
                yield word


def main(argv):
    limit = int(argv[1]) if len(argv) > 1 else 10
    counts = Counter(words(sys.stdin))

    for word, count in counts.most_common(limit):
        print(f"{count:6d}  {word}")

    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
