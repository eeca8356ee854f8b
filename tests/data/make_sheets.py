"""Writes the spreadsheet fixtures (run by hand; the files are committed):
road_casualties.xlsx, laid out as a planner's workbook (a title, a source
note and a blank row above the header, a #DIV/0! cell, a second sheet), and
station_weather.ods. Needs openpyxl and odfpy."""
import datetime as dt
import os

import openpyxl
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableRow, TableCell
from odf.text import P

here = os.path.dirname(os.path.abspath(__file__))

wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Casualties"
ws["A1"] = "Reported road casualties by district, 2023"
ws["A2"] = "Source: city police, provisional"
ws.append([])
ws.append(["month", "district", "killed", "seriously injured", "slightly injured", "rate per 1000"])
districts = ["North", "South", "East", "West"]
for m in range(1, 13):
    for i, d in enumerate(districts):
        row = [dt.datetime(2023, m, 1), d, (m + i) % 3, 5 + (m * i) % 7, 40 + m + i * 3]
        ws.append(row + [None])
        r = ws.max_row
        ws.cell(row=r, column=1).number_format = "yyyy-mm-dd"
        ws.cell(row=r, column=6).value = f"=E{r}/{1000 if (m, d) != (6, 'East') else 0}"
# openpyxl writes formulas without cached values; cache a value for each.
wb.save(os.path.join(here, "road_casualties.xlsx"))
wb2 = openpyxl.load_workbook(os.path.join(here, "road_casualties.xlsx"))
ws2 = wb2["Casualties"]
for r in range(5, ws2.max_row + 1):
    e = ws2.cell(row=r, column=5).value
    div = ws2.cell(row=r, column=6).value
    ws2.cell(row=r, column=6).value = "#DIV/0!" if div.endswith("/0") else e / 1000
notes = wb2.create_sheet("Notes")
notes["A1"] = "Figures for December are provisional."
wb2.save(os.path.join(here, "road_casualties.xlsx"))

doc = OpenDocumentSpreadsheet()
table = Table(name="Hourly")
def row(values):
    tr = TableRow()
    for v in values:
        if isinstance(v, float):
            tc = TableCell(valuetype="float", value=v)
            tc.addElement(P(text=str(v)))
        elif isinstance(v, dt.datetime):
            tc = TableCell(valuetype="date", datevalue=v.strftime("%Y-%m-%dT%H:%M:%S"))
            tc.addElement(P(text=v.strftime("%Y-%m-%d %H:%M")))
        else:
            tc = TableCell(valuetype="string")
            tc.addElement(P(text=v))
        tr.addElement(tc)
    table.addElement(tr)
row(["station", "observed", "temperature_c", "precipitation_mm", "wind_kmh"])
for h in range(48):
    for s, base in [("Airport", 4.0), ("Harbour", 6.0)]:
        row([s, dt.datetime(2024, 1, 1) + dt.timedelta(hours=h), base + (h % 24) / 4.0, float(h % 5 == 0), 10.0 + h % 7])
doc.spreadsheet.addElement(table)
doc.save(os.path.join(here, "station_weather.ods"))
