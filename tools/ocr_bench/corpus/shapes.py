from dataclasses import dataclass
import math


@dataclass
class Circle:
    radius: float

    def area(self) -> float:
        return math.pi * self.radius ** 2


@dataclass
class Rectangle:
    width: float
    height: float

    def area(self) -> float:
        return self.width * self.height

    def is_square(self) -> bool:
        return self.width == self.height


def largest(shapes):
    if not shapes:
        raise ValueError("no shapes given")
    return max(shapes, key=lambda s: s.area())
