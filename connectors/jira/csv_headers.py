"""The column names of Jira's CSV export, in the spellings and languages Jira writes them.

Jira names the export's columns in the exporting user's language, and Cloud has renamed some over
the years (``Fix Version/s`` became ``Fix versions``, ``Original Estimate`` became ``Original
estimate``). Each header is matched after folding case, accents and punctuation, so ``Issue Key``,
``issue key`` and ``Issue-key`` are one column, then mapped to the English name the reader uses.
German, French, Spanish, Portuguese and Japanese are recognised for the columns a plan needs; a
header in any other language can be mapped in the source's ``columns`` option.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

#: The reader's column (Jira's English header) -> other spellings and translations of it.
SPELLINGS: dict[str, tuple[str, ...]] = {
    "Issue key": ("Key", "Work item key", "Vorgangsschlüssel", "Schlüssel", "Clé de ticket", "Clé",
                  "Clave de incidencia", "Clave", "Chave da item", "Chave do item", "Chave", "課題キー", "キー"),
    "Issue id": ("Work item id", "Vorgangs-ID", "ID de ticket", "ID de la incidencia", "ID da item",
                 "ID do item", "課題ID"),
    "Summary": ("Zusammenfassung", "Résumé", "Resumen", "Resumo", "要約"),
    "Issue Type": ("Work item type", "Type", "Vorgangstyp", "Type de ticket", "Type de demande",
                   "Tipo de incidencia", "Tipo de item", "Tipo do item", "課題タイプ"),
    "Status": ("État", "Statut", "Estado", "ステータス"),
    "Status Category": ("Statuskategorie", "Catégorie d'état", "Catégorie de statut", "Categoría de estado",
                        "Categoria de status", "ステータスカテゴリ"),
    "Project key": ("Projektschlüssel", "Clé de projet", "Clave de proyecto", "Chave do projeto", "プロジェクトキー"),
    "Project name": ("Projektname", "Nom du projet", "Nombre del proyecto", "Nome do projeto", "プロジェクト名"),
    "Assignee": ("Zugewiesene Person", "Bearbeiter", "Responsable", "Persona asignada", "Responsável", "担当者"),
    "Created": ("Erstellt", "Création", "Créé", "Creada", "Creado", "Criado", "作成日", "作成日時"),
    "Updated": ("Aktualisiert", "Mise à jour", "Actualizada", "Actualizado", "Atualizado", "更新日", "更新日時"),
    "Resolved": ("Erledigt", "Résolue", "Résolu", "Resuelta", "Resuelto", "Resolvido", "解決日", "解決日時"),
    "Due Date": ("Fälligkeitsdatum", "Date d'échéance", "Fecha de vencimiento", "Fecha límite", "Data limite",
                 "Data de vencimento", "期日"),
    "Original Estimate": ("Ursprüngliche Schätzung", "Estimation originale", "Estimación original",
                          "Estimativa original", "初期見積もり", "初期見積り"),
    "Remaining Estimate": ("Verbleibende Schätzung", "Estimation restante", "Estimación restante",
                           "Estimativa restante", "残り時間の見積もり", "残り見積もり"),
    "Time Spent": ("Erfasste Zeit", "Benötigte Zeit", "Temps consacré", "Tiempo empleado", "Tiempo invertido",
                   "Tempo gasto", "作業時間", "消費時間"),
    "Parent": ("Parent id", "Übergeordnet", "Übergeordneter Vorgang", "Ticket parent", "Principal", "Padre",
               "Pai", "Item pai", "親", "親課題"),
    "Parent key": ("Chave pai", "Übergeordneter Schlüssel", "親課題キー"),
    "Fix Version/s": ("Fix versions", "Fix version", "Lösungsversion/en", "Lösungsversionen", "Lösungsversion",
                      "Version(s) corrigée(s)", "Versions corrigées", "Versión de corrección",
                      "Versiones de corrección", "Versões corrigidas", "修正バージョン"),
    "Component/s": ("Components", "Komponente/n", "Komponenten", "Composant(s)", "Composants", "Componente/s",
                    "Componentes", "コンポーネント"),
    "Labels": ("Stichwörter", "Étiquettes", "Etiquetas", "Rótulos", "ラベル"),
    "Priority": ("Priorität", "Priorité", "Prioridad", "Prioridade", "優先度"),
    "Sprint": ("Sprints", "スプリント"),
    "Project lead": ("Projektleitung", "Responsable du projet", "Líder del proyecto", "Líder do projeto",
                     "プロジェクトリーダー"),
}
#: "Custom field (Story Points)" as each language writes it.
CUSTOM_PREFIXES = ("Custom field", "Benutzerdefiniertes Feld", "Champ personnalisé", "Champs personnalisés",
                   "Campo personalizado", "Campo customizado", "カスタムフィールド")
#: The columns without which no row can be read.
REQUIRED = ("Issue key",)
SHOWN = 15  # an "all fields" export has hundreds of columns: the first ones tell the language
REFUSAL = "export with Jira's language set to English, or map the columns"


def fold(label: str) -> str:
    """'Catégorie d’état ' -> 'categorie d etat': case, accents and punctuation do not tell columns apart."""
    decomposed = unicodedata.normalize("NFKD", label.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.split(r"[^\w]+", bare)).strip()


_KNOWN = {fold(spelling): name for name, spellings in SPELLINGS.items() for spelling in (name, *spellings)}
_CUSTOM = re.compile(r"^(?:" + "|".join(re.escape(p) for p in CUSTOM_PREFIXES) + r")\s*[(（](.+)[)）]$",
                     re.IGNORECASE)


def canonical(label: str, mapped: Mapping[str, str] | None = None) -> str:
    """The reader's name for one header: a configured mapping first, then the known spellings; a
    header nobody knows stays as it is (so ``Custom field (X)`` and link columns keep working)."""
    label = label.strip()
    for name, theirs in (mapped or {}).items():
        if fold(theirs) == fold(label):
            return name
    if custom := _CUSTOM.match(label):
        return f"Custom field ({custom.group(1).strip()})"
    return _KNOWN.get(fold(label), label)


def missing_columns_message(name: str, header: list[str], missing: list[str]) -> str:
    """The refusal when a column every row needs is not recognised, naming what the file has."""
    labels = [repr(h.strip()) for h in header if h.strip()]
    found = ", ".join(labels[:SHOWN]) + (f" and {len(labels) - SHOWN} more" if len(labels) > SHOWN else "")
    return (f"{name}: not a Jira CSV export Sightline can read: no {' or '.join(repr(m) for m in missing)} column "
            f"among the columns found ({found}); "
            f"{REFUSAL} (columns: {{'Issue key': <your column>}} in the source)")
