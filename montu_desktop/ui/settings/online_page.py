"""The Online booking page (managers): the website's API keys and which types it may book."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.errors import InvalidRequest, MontuError
from montu_desktop.domain.model import AppointmentType
from montu_desktop.services import catalogue, manage, online
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.operations import run_op

COLUMNS = ("Name", "Allowed to", "Requests a minute", "Website", "State")
FIELD_LABELS = {
    "name": "Name",
    "rate": "Requests a minute",
    "origin": "Website",
    "online.public_url": "Public address",
}


class OnlinePage(QWidget):
    """Create, list and revoke API keys; tick the types a website may offer."""

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__()
        self._ctx = ctx
        self._keys: list[online.ApiKeyInfo] = []
        layout = QVBoxLayout(self)
        intro = QLabel(
            "The clinic's website books through Montu's online-booking API "
            "(<tt>montu-desktop serve</tt>). Each website or kiosk gets its own key."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        keys_box = QGroupBox("API keys")
        keys_layout = QVBoxLayout(keys_box)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        keys_layout.addWidget(self.table)
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. clinic website")
        self.may_book = QCheckBox("may book and cancel (not only see free times)")
        self.may_book.setChecked(True)
        self.rate = QLineEdit("60/min")
        self.origin = QLineEdit()
        self.origin.setPlaceholderText("https://www.clinic.example (for calls from a browser)")
        form.addRow("Name", self.name)
        form.addRow("", self.may_book)
        form.addRow("Requests a minute", self.rate)
        form.addRow("Website", self.origin)
        keys_layout.addLayout(form)
        buttons = QHBoxLayout()
        self.create_button = QPushButton("Create key…")
        self.revoke_button = QPushButton("Revoke selected key")
        self.create_button.clicked.connect(self.create)
        self.revoke_button.clicked.connect(self.revoke)
        buttons.addWidget(self.create_button)
        buttons.addWidget(self.revoke_button)
        buttons.addStretch(1)
        keys_layout.addLayout(buttons)
        layout.addWidget(keys_box, 3)

        types_box = QGroupBox("Appointment types the website may book")
        types_layout = QVBoxLayout(types_box)
        self.types = QListWidget()
        self.types.itemChanged.connect(self._type_ticked)
        types_layout.addWidget(self.types)
        layout.addWidget(types_box, 2)

        page_box = QGroupBox("Booking page for the clinic's website")
        page_layout = QVBoxLayout(page_box)
        page_intro = QLabel(
            "<tt>montu-desktop serve</tt> also serves a booking page at <tt>/book</tt>. "
            "Enter the address patients reach it at, then paste the snippet into the "
            "clinic's website. Add the website's address to an API key above so the page "
            "may be shown inside it."
        )
        page_intro.setWordWrap(True)
        page_layout.addWidget(page_intro)
        address_row = QHBoxLayout()
        self.public_url = QLineEdit()
        self.public_url.setPlaceholderText("https://book.clinic.example")
        self.public_url.setAccessibleName("Public address of the booking page")
        self.save_url_button = QPushButton("Save address")
        self.save_url_button.clicked.connect(self.save_public_url)
        address_row.addWidget(QLabel("Public address"))
        address_row.addWidget(self.public_url, 1)
        address_row.addWidget(self.save_url_button)
        page_layout.addLayout(address_row)
        self.snippet = QPlainTextEdit()
        self.snippet.setReadOnly(True)
        self.snippet.setAccessibleName("Snippet to paste into the clinic's website")
        self.snippet.setMaximumHeight(70)
        page_layout.addWidget(self.snippet)
        layout.addWidget(page_box, 1)

        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.last_token = ""
        self.confirm = self._ask
        """Asks before revoking; tests put an answer of their own here."""
        self.load()

    def _ask(self, text: str) -> bool:
        answer = QMessageBox.question(self, "Revoke key", text)
        return answer == QMessageBox.StandardButton.Yes

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b00020;" if error else "")
        self.message.setText(text)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, InvalidRequest):
            label = FIELD_LABELS.get(exc.field, exc.field)
            self._say(f"Not saved: {label} {exc.reason}", error=True)
        elif isinstance(exc, MontuError):
            self._say(f"Not saved: {exc}", error=True)
        else:
            self._say("Not saved: something went wrong (see the log).", error=True)

    def load(self) -> None:
        def work() -> tuple[list[online.ApiKeyInfo], list[AppointmentType], set[int]]:
            bookable = {k.id for k in online.online_types(self._ctx)}
            return online.list_api_keys(self._ctx), catalogue.list_types(self._ctx), bookable

        run_op(self, work, self._show, self._failed)
        run_op(self, lambda: manage.public_url(self._ctx), self._show_address, self._failed)

    def _show_address(self, address: str) -> None:
        self.public_url.setText(address)
        self._show_snippet(manage.embed_snippet(address))

    def _show_snippet(self, snippet: str) -> None:
        self.snippet.setPlainText(
            snippet or "Enter the public address above to get the snippet to paste."
        )

    def save_public_url(self) -> None:
        address = self.public_url.text().strip()
        if address and "://" not in address:
            address = f"https://{address}"

        def saved(snippet: str) -> None:
            self._show_snippet(snippet)
            self._say("Public address saved." if snippet else "Public address cleared.")

        run_op(self, lambda: manage.set_public_url(self._ctx, address), saved, self._failed)

    def _show(
        self, loaded: tuple[list[online.ApiKeyInfo], list[AppointmentType], set[int]]
    ) -> None:
        self._keys, kinds, bookable = loaded
        self.table.setRowCount(len(self._keys))
        for row, key in enumerate(self._keys):
            may = "book and see free times" if "book" in key.scopes else "see free times"
            state = "revoked" if key.revoked_at else "active"
            cells = (key.name, may, str(key.rate_per_minute), key.origin or "—", state)
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.types.blockSignals(True)
        self.types.clear()
        for kind in kinds:
            if not kind.active:
                continue
            item = QListWidgetItem(f"{kind.name} ({kind.length_minutes} min)")
            item.setData(Qt.ItemDataRole.UserRole, kind.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if kind.id in bookable else Qt.CheckState.Unchecked
            )
            self.types.addItem(item)
        self.types.blockSignals(False)

    def create(self) -> None:
        name, rate, origin = self.name.text(), self.rate.text(), self.origin.text().strip()
        if origin and "://" not in origin:
            origin = f"https://{origin}"  # people type the site as they see it
        scopes = "availability,book" if self.may_book.isChecked() else "availability"

        def work() -> tuple[online.ApiKeyInfo, str]:
            return online.create_api_key(
                self._ctx, name, scopes, rate=rate or None, origin=origin or None
            )

        run_op(self, work, self._created, self._failed)

    def _created(self, made: tuple[online.ApiKeyInfo, str]) -> None:
        key, token = made
        self.last_token = token
        self.name.clear()
        self._say(f"Key {key.name} created.")
        box = QMessageBox(self)
        box.setWindowTitle("New API key")
        box.setIcon(QMessageBox.Icon.Information)
        box.setText(
            f"Give this token to whoever sets up {key.name}. It is shown only now: "
            "Montu keeps only a fingerprint of it."
        )
        box.setInformativeText(token)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.open()
        self.load()

    def revoke(self) -> None:
        row = self.table.currentRow()
        if not 0 <= row < len(self._keys):
            self._say("Choose a key to revoke first.", error=True)
            return
        name = self._keys[row].name
        if not self.confirm(f"Revoke {name}? Its website stops booking at once."):
            return
        run_op(
            self,
            lambda: online.revoke_api_key(self._ctx, name),
            lambda key: (self._say(f"Key {key.name} revoked."), self.load()),
            self._failed,
        )

    def _type_ticked(self, item: QListWidgetItem) -> None:
        name = item.data(Qt.ItemDataRole.UserRole)
        bookable = item.checkState() == Qt.CheckState.Checked
        run_op(
            self,
            lambda: online.set_bookable_online(self._ctx, name, bookable),
            lambda _none: self._say(
                f"{name} {'can now' if bookable else 'can no longer'} be booked online."
            ),
            self._failed,
        )
