"""Text that never pushes its neighbours about: a label of fixed lines that ends in "…" when
the words do not fit (the whole text in its tooltip), and the status line built on it."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent, QTextLayout
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QWidget


def elide_lines(text: str, font: QFont, width: int, lines: int) -> str:
    """`text` wrapped into at most `lines` lines of `width` pixels, the last ending in "…" when
    the rest does not fit (returned with newlines where the lines break)."""
    if width <= 0 or not text:
        return text
    metrics = QFontMetrics(font)
    if lines <= 1:
        flat = " ".join(text.split())
        return metrics.elidedText(flat, Qt.TextElideMode.ElideRight, width)
    layout = QTextLayout(text, font)
    layout.beginLayout()
    parts: list[str] = []
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        start, length = line.textStart(), line.textLength()
        if len(parts) == lines - 1:
            rest = " ".join(text[start:].split())
            parts.append(metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width))
            break
        parts.append(text[start : start + length].rstrip().replace("\n", " "))
    layout.endLayout()
    return "\n".join(parts)


class ElidedLabel(QLabel):
    """A label `lines` lines high whatever it says: long words end in "…", the whole text is
    in the tooltip, and its width never follows the text (so nothing beside it moves)."""

    def __init__(self, text: str = "", lines: int = 1, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines = max(lines, 1)
        self._full = ""
        self.setWordWrap(False)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * self.lines + 1)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setText(text)

    def setText(self, text: str) -> None:
        self._full = text
        self.setAccessibleDescription(text)
        self._fit()

    def text(self) -> str:
        """The whole text, as given (what shows may end in "…")."""
        return self._full

    def shown_text(self) -> str:
        return super().text()

    def is_elided(self) -> bool:
        return self.shown_text().replace("\n", " ") != " ".join(self._full.split())

    def minimumSizeHint(self) -> QSize:
        return QSize(0, self.height())

    def sizeHint(self) -> QSize:
        width = self.fontMetrics().horizontalAdvance(" ".join(self._full.split()[:12])) + 8
        return QSize(min(width, 600), self.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        width = self.contentsRect().width() - 2 * self.margin() - 2
        shown = elide_lines(self._full, self.font(), width, self.lines)
        QLabel.setText(self, shown)
        self.setToolTip(self._full if self.is_elided() else "")


class StatusLine(QStatusBar):
    """The status bar with its message on an eliding label (the whole message in the tooltip):
    QStatusBar's own message is cut off where the permanent widgets begin ("…has no clinic
    schedule (")."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = ElidedLabel()
        self.message.setObjectName("statusMessage")
        self.message.setAccessibleName("Status")
        self.addWidget(self.message, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clearMessage)

    def showMessage(self, text: str, timeout: int = 0) -> None:
        self.message.setText(text)
        self.messageChanged.emit(text)
        if timeout > 0:
            self._timer.start(timeout)
        else:
            self._timer.stop()

    def clearMessage(self) -> None:
        self._timer.stop()
        if self.message.text():
            self.message.setText("")
            self.messageChanged.emit("")

    def currentMessage(self) -> str:
        return self.message.text()
